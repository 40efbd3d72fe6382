using Ar1Star.Storage;

namespace Ar1Star.Tests.Storage;

public class ManifestTests
{
    /// <summary>Overwrites bytes in the middle of a file, keeping its size (what a bad sector or a stray write does).</summary>
    internal static void FlipMiddle(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = stream.Length / 2;
        int b = stream.ReadByte();
        stream.Position = stream.Length / 2;
        stream.WriteByte((byte)~b);
    }

    internal static void Truncate(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(stream.Length / 2);
    }

    private static string FolderWithFiles()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-manifest-").FullName;
        File.WriteAllBytes(Path.Combine(dir, "a.bin"), Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray());
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.WriteAllText(Path.Combine(dir, "sub", "b.txt"), "hello");
        return dir;
    }

    [Fact]
    public void AnIntactFolderVerifiesAndAByteFlippedInTheMiddleIsNamed()
    {
        string dir = FolderWithFiles();
        FolderManifest.Write(dir);
        FolderManifest.Verify(dir, "do something");
        FlipMiddle(Path.Combine(dir, "a.bin"));
        var e = Assert.Throws<IntegrityException>(() => FolderManifest.Verify(dir, "do something"));
        Assert.Equal(Path.Combine(dir, "a.bin"), e.File);
        Assert.Contains("a.bin", e.Message);
        Assert.EndsWith("do something", e.Message);
    }

    [Fact]
    public void TruncatedMissingAndUnrecordedFoldersFail()
    {
        string dir = FolderWithFiles();
        Assert.Throws<IntegrityException>(() => FolderManifest.Verify(dir, "x")); // never completed
        FolderManifest.Write(dir);
        Truncate(Path.Combine(dir, "sub", "b.txt"));
        Assert.Contains("has 2 bytes, 5 were written", Assert.Throws<IntegrityException>(() => FolderManifest.Verify(dir, "x")).Message);
        File.Delete(Path.Combine(dir, "sub", "b.txt"));
        Assert.Contains("is missing", Assert.Throws<IntegrityException>(() => FolderManifest.Verify(dir, "x")).Message);
    }

    [Fact]
    public void ASingleFileIsCheckedAgainstItsSidecarAndItsSource()
    {
        string dir = FolderWithFiles();
        string file = Path.Combine(dir, "a.bin"), source = Path.Combine(dir, "sub", "b.txt");
        Assert.Contains("has no", FileManifest.Problem(file));
        FileManifest.Write(file, source);
        Assert.Null(FileManifest.Problem(file, source));
        File.AppendAllText(source, " world");
        Assert.Contains("changed since", FileManifest.Problem(file, source));
        Assert.Null(FileManifest.Problem(file));
        FlipMiddle(file);
        Assert.Contains("other content", FileManifest.Problem(file));
    }
}
