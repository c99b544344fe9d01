global using Xunit;
global using Xunit.Abstractions;
global using TorchSharp;
global using static TorchSharp.torch;
global using SaeWorkbench.Engine;
global using SaeWorkbench.IO;
