using System.Globalization;
using TorchSharp;
using SaeWorkbench.IO;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.Saes.Interchange;

/// <summary>
/// The tensor names of the TopK paper's released SAEs (openai/sparse_autoencoder, the code released with Gao et al. 2024), read from
/// safetensors: <c>encoder.weight</c> [n, d] (nn.Linear(d, n)), <c>decoder.weight</c> [d, n] (nn.Linear(n, d)),
/// <c>pre_bias</c> [d], <c>latent_bias</c> [n] (and <c>stats_last_nonzero</c> [n], ignored). Their model:
/// x' = (x - mean) / (std + 1e-5) per token (unbiased std), z = ReLU(TopK_k(encoder(x' - pre_bias) + latent_bias)),
/// x_hat = (decoder(z) + pre_bias) * std + mean: exactly a <see cref="TopKSae"/> with
/// <see cref="InputNormalization.PerTokenStandardize"/>. k is not among the tensors (the released GPT-2 SAEs use 32):
/// pass it, or it is read from the file's metadata "k" when present (files written by <see cref="Save"/> have it).
/// </summary>
public static class ReleasedTopKFormat
{
    /// <summary>Loads a released-format TopK SAE from a safetensors file.</summary>
    public static TopKSae Load(string path, long? k = null, Device? device = null)
    {
        using var file = SafeTensorsFile.Open(path);
        using var scope = NewDisposeScope();
        Tensor Get(string name)
        {
            if (!file.Contains(name))
                throw new InvalidDataException($"'{path}' has no tensor '{name}': a released TopK SAE has encoder.weight, decoder.weight, pre_bias and latent_bias");
            return SafeTensors.LoadOne(file, name).to(float32);
        }
        var enc = Get("encoder.weight");
        if (enc.dim() != 2) throw new InvalidDataException($"'{path}': encoder.weight has shape {enc.ShapeString}, expected [n, d]");
        var (n, d) = (enc.size(0), enc.size(1));
        var dec = Get("decoder.weight");
        var pre = Get("pre_bias");
        var lat = Get("latent_bias");
        void Check(Tensor t, string name, params long[] shape)
        {
            if (!t.shape.SequenceEqual(shape))
                throw new InvalidDataException($"'{path}': tensor '{name}' has shape {t.ShapeString}, expected [{string.Join(", ", shape)}] (n = {n}, d = {d} from encoder.weight)");
        }
        Check(dec, "decoder.weight", d, n);
        Check(pre, "pre_bias", d);
        Check(lat, "latent_bias", n);
        var kk = k ?? (file.Metadata.TryGetValue("k", out var ks) && long.TryParse(ks, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed
            : throw new ArgumentException($"'{path}' does not say its k (no metadata \"k\"): pass k (the released GPT-2 SAEs use 32)", nameof(k)));
        var unitNorm = (dec.norm(0) - 1).abs().max().ToDouble() < 1e-4;
        var sae = new TopKSae(new TopKSaeConfig
        {
            DIn = d, NumLatents = n, K = kk, Normalization = InputNormalization.PerTokenStandardize, ApplyDecoderBiasToInput = true,
            UnitNormDecoder = unitNorm, Init = new SaeInit { GeometricMedianPreBias = false }, Device = device ?? CPU,
        });
        using (no_grad())
        {
            sae.W_enc_ND.copy_(enc);
            sae.W_dec_ND.copy_(dec.t());
            sae.b_dec_D.copy_(pre);
            sae.b_enc_N.copy_(lat);
        }
        return sae;
    }

    /// <summary>Writes a per-token-standardised TopK SAE under the released tensor names (metadata "k" records its k).</summary>
    public static void Save(TopKSae sae, string path)
    {
        if (sae.Config.Normalization != InputNormalization.PerTokenStandardize || !sae.Config.ApplyDecoderBiasToInput)
            throw new NotSupportedException("the released TopK format implies per-token standardisation and b_pre subtracted before the encoder");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        SafeTensors.Save(new Dictionary<string, Tensor>
        {
            ["encoder.weight"] = sae.W_enc_ND,
            ["decoder.weight"] = sae.W_dec_ND.t().contiguous(),
            ["pre_bias"] = sae.b_dec_D,
            ["latent_bias"] = sae.b_enc_N,
        }, path, new Dictionary<string, string> { ["k"] = sae.Config.K.ToString(CultureInfo.InvariantCulture), ["activation"] = "TopK" });
    }
}
