namespace Ar1Star.Data.Synthetic;

/// <summary>
/// Where an object is in a frame, in image units where the image spans [-1, 1] on both axes
/// (v pointing down).
/// </summary>
/// <param name="U">Centre, horizontal.</param>
/// <param name="V">Centre, vertical.</param>
/// <param name="Scale">Image units per object unit (object radius is about 1 object unit).</param>
/// <param name="Angle">Rotation of the object, radians.</param>
/// <param name="HandAngle">Direction from the object's centre towards the holding hand, radians.</param>
internal readonly record struct Pose(float U, float V, float Scale, float Angle, float HandAngle);
