using System.Collections;

namespace Ar1Star.Weights;

/// <summary>
/// <c>collections.OrderedDict</c> as unpickled. The unpickler fills dictionaries through a
/// <see cref="Hashtable"/> (in reverse within each SETITEMS batch, so insertion order is lost:
/// <see cref="TorchStateDict"/> restores it from the order tensors were unpickled). State dicts
/// carry a <c>_metadata</c> attribute, restored by BUILD, which must not become a key.
/// </summary>
internal sealed class PickledOrderedDict : Hashtable
{
    /// <summary>Instance attributes (e.g. <c>_metadata</c>); never part of the mapping.</summary>
    public Hashtable? Attributes { get; private set; }

    /// <summary>Called by the unpickler's BUILD opcode; the name is Python's.</summary>
    public void __setstate__(Hashtable state) => Attributes = state;
}
