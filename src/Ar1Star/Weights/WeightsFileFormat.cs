namespace Ar1Star.Weights;

/// <summary>The on-disk forms a weights file may take.</summary>
public enum WeightsFileFormat
{
    /// <summary><c>torch.save</c> of PyTorch >= 1.6: a zip archive with data.pkl and data/KEY entries.</summary>
    TorchZip,
    /// <summary><c>torch.save</c> before PyTorch 1.6: pickles followed by raw storages.</summary>
    TorchLegacy,
    /// <summary>A safetensors file.</summary>
    Safetensors,
}
