using System.Text.Json;
using Ar1Star.Data.Core50;

namespace Ar1Star.Tests.Data.Core50;

/// <summary>LUP/labels pickles holding NumPy integer arrays and scalars read as plain lists of ints.</summary>
public sealed class NumpyPickleTests
{
    [PythonTheory]
    [InlineData(2)]
    [InlineData(4)]
    public void NumpyArraysAndScalars_ReadAsTheirIntegers(int protocol)
    {
        string root = Directory.CreateTempSubdirectory("ar1-numpy-pickles-").FullName;
        try
        {
            string script = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "numpy_pickles.py"));
            var expected = JsonSerializer.Deserialize<int[][]>(Python.Run(script, root, protocol.ToString(System.Globalization.CultureInfo.InvariantCulture)))!;

            var listing = PickleListing.Read(new Core50Layout(root), Core50Protocol.Ni, 0);

            var lists = listing.TrainBatches.Append(listing.Test).ToArray();
            Assert.Equal(expected, lists.Select(l => l.Keys.ToArray()).ToArray());
            Assert.Equal(expected.Select(b => b.Select(i => i % 50).ToArray()).ToArray(), lists.Select(l => l.Labels.ToArray()).ToArray());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
