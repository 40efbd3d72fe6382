using static TorchSharp.torch;
var a = randn(3, 3);
Console.WriteLine(a.sum().item<float>());
