global using Xunit;
global using Xunit.Abstractions;
global using SaeWorkbench.Torch;
global using SaeWorkbench.Torch.Tests;
global using static SaeWorkbench.Torch.torch;
