namespace Ar1Star.Data.Synthetic;

/// <summary>One image of the synthetic benchmark.</summary>
/// <param name="Object">Object index 0..49, the class label.</param>
/// <param name="Session">CORe50 session number 1..11.</param>
/// <param name="Frame">
/// Frame index within the unit: 0..FramesPerUnit-1 in training sessions,
/// 0..TestFramesPerUnit-1 in test sessions. The frames of a unit sample one fixed clip evenly,
/// so more frames means denser sampling of the same motion, not a longer clip.
/// </param>
public readonly record struct SyntheticFrame(int Object, int Session, int Frame);
