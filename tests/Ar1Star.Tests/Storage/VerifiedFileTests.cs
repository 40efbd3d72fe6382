using Ar1Star.Storage;

namespace Ar1Star.Tests.Storage;

/// <summary>
/// A file whose path, size and write time are those recorded when its digest last matched is not
/// hashed again; any change to them brings the full check back. The tests see which happened by
/// changing bytes in place and putting the write time back: only a full check notices.
/// </summary>
public sealed class VerifiedFileTests
{
    private static readonly DateTime AnHourAgo = DateTime.UtcNow.AddHours(-1);

    /// <summary>A file last written an hour ago, recorded in its manifest.</summary>
    private static string RecordedFile()
    {
        string dir = Directory.CreateTempSubdirectory("ar1-verified-").FullName;
        string file = Path.Combine(dir, "core50_imgs.bin");
        File.WriteAllBytes(file, Enumerable.Range(0, 50_000).Select(i => (byte)(i * 13)).ToArray());
        File.SetLastWriteTimeUtc(file, AnHourAgo);
        FileManifest.Write(file);
        return file;
    }

    /// <summary>Damage no size or write time shows: what only reading the file finds.</summary>
    private static void FlipKeepingWriteTime(string file)
    {
        var written = File.GetLastWriteTimeUtc(file);
        ManifestTests.FlipMiddle(file);
        File.SetLastWriteTimeUtc(file, written);
    }

    [Fact]
    public void AnUnchangedRecordedFileIsNotReadAgain()
    {
        string file = RecordedFile();
        Assert.Null(FileManifest.Problem(file));
        FlipKeepingWriteTime(file);
        // Not read: the flip goes unseen (a full check would refuse it, as the next tests show).
        Assert.Null(FileManifest.Problem(file));
    }

    [Fact]
    public void ATouchedFileIsHashedAgain_RefusedWhenCorruptAndTrustedAgainWhenIntact()
    {
        string file = RecordedFile();
        File.SetLastWriteTimeUtc(file, AnHourAgo.AddMinutes(1));
        Assert.Null(FileManifest.Problem(file));   // hashed in full: intact, and recorded with its new time
        FlipKeepingWriteTime(file);
        Assert.Null(FileManifest.Problem(file));   // the new time was recorded: not read again

        File.SetLastWriteTimeUtc(file, AnHourAgo.AddMinutes(2));
        Assert.Contains("other content", FileManifest.Problem(file));
        Assert.Contains("other content", FileManifest.Problem(file));   // a refusal records nothing
    }

    [Fact]
    public void AResizedFileIsRefusedWhateverItsWriteTime()
    {
        string file = RecordedFile();
        Assert.Null(FileManifest.Problem(file));
        ManifestTests.Truncate(file);
        File.SetLastWriteTimeUtc(file, AnHourAgo);
        Assert.Contains("has 25000 bytes, 50000 were written", FileManifest.Problem(file));
    }

    [Fact]
    public void ACopyElsewhereIsHashedInFull()
    {
        string file = RecordedFile();
        string copy = Path.Combine(Path.GetDirectoryName(file)!, "copy.bin");
        File.Copy(file, copy);
        File.Copy(FileManifest.PathFor(file), FileManifest.PathFor(copy));
        FlipKeepingWriteTime(copy);
        File.SetLastWriteTimeUtc(copy, AnHourAgo);
        Assert.Contains("other content", FileManifest.Problem(copy));
    }

    [Fact]
    public void AFileWrittenJustBeforeItsRecordIsHashedInFull()
    {
        // Written in the same clock tick as the record, a later write could keep its time: not trusted.
        string file = RecordedFile();
        File.WriteAllBytes(file, File.ReadAllBytes(file));
        FileManifest.Write(file);
        FlipKeepingWriteTime(file);
        Assert.Contains("other content", FileManifest.Problem(file));
    }

    [Fact]
    public void AManifestWithoutARecordOfVerificationIsHashedInFullOnce()
    {
        // As an earlier Ar1Star wrote them: size and SHA-256 only.
        string file = RecordedFile();
        string manifest = FileManifest.PathFor(file);
        var old = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        old.Remove(nameof(FileManifest.Verified));
        File.WriteAllText(manifest, old.ToJsonString());
        FlipKeepingWriteTime(file);
        Assert.Contains("other content", FileManifest.Problem(file));
    }
}
