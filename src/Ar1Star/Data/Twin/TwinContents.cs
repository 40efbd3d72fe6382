using Ar1Star.Data.Core50;

namespace Ar1Star.Data.Twin;

/// <summary>What <see cref="SyntheticTwin"/> writes.</summary>
/// <param name="Png">The PNG tree and the batch filelists.</param>
/// <param name="Npz">core50_imgs.npz with paths.pkl, LUP.pkl and labels.pkl.</param>
/// <param name="Protocols">Scenarios whose runs 0..9 are written (null: all six).</param>
public sealed record TwinContents(bool Png = true, bool Npz = true, IReadOnlyList<Core50Protocol>? Protocols = null)
{
    /// <summary>The protocols to write: those named, or all.</summary>
    public IReadOnlyList<Core50Protocol> ProtocolsOrAll => Protocols ?? Core50Protocol.All;
}
