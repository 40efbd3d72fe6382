namespace Ar1Star.Data.Synthetic;

/// <summary>
/// One (session, object) unit: a short video of one object held in front of one background.
/// </summary>
/// <param name="Session">CORe50 session number, 1..11 (1-based, as in the dataset's "s1".."s11").</param>
/// <param name="Object">Object index 0..49, which is also the class label (CORe50's "o1" is 0).</param>
internal readonly record struct SyntheticUnit(int Session, int Object);
