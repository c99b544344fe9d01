global using Xunit;
global using SaeWorkbench.Torch;
global using static SaeWorkbench.Torch.torch;
