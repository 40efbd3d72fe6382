namespace Ar1Star.Data.Core50;

/// <summary>A scenario run read from the official filelists of the PNG form.</summary>
internal static class FilelistListing
{
    /// <summary>The training batches and the test set of a protocol run, as filelist paths and labels.</summary>
    public static Core50Listing<string> Read(Core50Layout layout, Core50Protocol protocol, int run)
    {
        Core50Protocol.CheckRun(run);
        string folder = layout.RunFolder(protocol, run);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{folder}: filelists of {protocol.Name} run {run} not found (expected {protocol.Batches} train_batch_NN_filelist.txt and {Core50Layout.TestFilelistName})");
        var batches = new PatternList<string>[protocol.Batches];
        for (int b = 0; b < batches.Length; b++)
            batches[b] = Filelist.Read(Path.Combine(folder, Core50Layout.TrainFilelistName(b)));
        string extra = Path.Combine(folder, Core50Layout.TrainFilelistName(protocol.Batches));
        if (File.Exists(extra))
            throw new InvalidDataException($"{extra}: {protocol.Name} has {protocol.Batches} batches (00..{protocol.Batches - 1}), this folder has more");
        return new Core50Listing<string>(batches, Filelist.Read(Path.Combine(folder, Core50Layout.TestFilelistName)));
    }
}
