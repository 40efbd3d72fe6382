namespace Ar1Star.Data.Core50;

/// <summary>The two forms in which CORe50 is distributed.</summary>
public enum Core50Form
{
    /// <summary>The PNG form when its images and filelists are present, else the array form.</summary>
    Auto,

    /// <summary><c>core50_128x128/</c> PNG tree plus the official batch filelists.</summary>
    Png,

    /// <summary>The reference's <c>core50_imgs.npz</c> (or its raw <c>.bin</c>) with paths.pkl, LUP.pkl and labels.pkl.</summary>
    Npz,
}
