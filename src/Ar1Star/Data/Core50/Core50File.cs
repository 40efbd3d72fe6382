using Ar1Star.Downloads;

namespace Ar1Star.Data.Core50;

/// <summary>One file of the official CORe50 distribution.</summary>
/// <param name="Remote">Name, official address and published md5.</param>
/// <param name="Parts">The <c>--what</c> choices that bring it: filelists, png, npz.</param>
/// <param name="Unzip">Whether it is a zip to unpack into the dataset root (and then delete).</param>
public sealed record Core50File(RemoteFile Remote, IReadOnlyList<string> Parts, bool Unzip);
