// Matrix products.
#include "common.h"

using saewb::to_scalar;

SAEWB_TENSOR_FN(saewb_matmul(saewb_tensor a, saewb_tensor b), at::matmul(*a, *b))
SAEWB_TENSOR_FN(saewb_mm(saewb_tensor a, saewb_tensor b), at::mm(*a, *b))
SAEWB_TENSOR_FN(saewb_bmm(saewb_tensor a, saewb_tensor b), at::bmm(*a, *b))
SAEWB_TENSOR_FN(saewb_mv(saewb_tensor a, saewb_tensor b), at::mv(*a, *b))
SAEWB_TENSOR_FN(saewb_dot(saewb_tensor a, saewb_tensor b), at::dot(*a, *b))
SAEWB_TENSOR_FN(saewb_outer(saewb_tensor a, saewb_tensor b), at::outer(*a, *b))
// beta * input + alpha * (a @ b)
SAEWB_TENSOR_FN(saewb_addmm(saewb_tensor input, saewb_tensor a, saewb_tensor b, saewb_scalar beta, saewb_scalar alpha),
                at::addmm(*input, *a, *b, to_scalar(beta), to_scalar(alpha)))
SAEWB_TENSOR_FN(saewb_baddbmm(saewb_tensor input, saewb_tensor a, saewb_tensor b, saewb_scalar beta, saewb_scalar alpha),
                at::baddbmm(*input, *a, *b, to_scalar(beta), to_scalar(alpha)))
// x @ w^T + b, with w stored [out, in] as in nn.Linear; bias may be null.
SAEWB_TENSOR_FN(saewb_linear(saewb_tensor x, saewb_tensor w, saewb_tensor b), at::linear(*x, *w, saewb::optional_tensor(b)))
SAEWB_TENSOR_FN(saewb_einsum(const char* equation, const saewb_tensor* ts, int64_t n),
                at::einsum(c10::string_view(equation), saewb::tensor_list(ts, n)))
