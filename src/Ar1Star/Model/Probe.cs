namespace Ar1Star.Model;
internal static class Probe { }
