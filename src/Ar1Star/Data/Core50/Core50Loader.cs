namespace Ar1Star.Data.Core50;

/// <summary>
/// Turns a CORe50 dataset root into a <see cref="Scenario"/> the runner trains on, from either
/// official form; images are read lazily and decoded ahead of training.
/// </summary>
internal static class Core50Loader
{
    /// <summary>The scenario of one protocol run, from whichever form the options name or the folder holds.</summary>
    /// <param name="options">Where the dataset is and which protocol run to load.</param>
    /// <param name="log">Told when the npz's image array is (re)unpacked.</param>
    public static Scenario Load(Core50Options options, Action<string>? log = null)
    {
        var protocol = Core50Protocol.Find(options.Scenario);
        Core50Protocol.CheckRun(options.Run);
        var layout = new Core50Layout(options.Root);
        var form = layout.Resolve(options.Form, protocol, options.Run);
        string name = $"{protocol.Name}/run{options.Run}";
        var scenario = form == Core50Form.Png ? LoadPng(layout, protocol, options, name) : LoadArray(layout, protocol, options, name, log);
        return Prefetching.Wrap(scenario);
    }

    private static Scenario LoadPng(Core50Layout layout, Core50Protocol protocol, Core50Options options, string name)
    {
        var listing = FilelistListing.Read(layout, protocol, options.Run);
        if (!Directory.Exists(layout.ImagesFolder))
            throw new DirectoryNotFoundException(
                $"{layout.ImagesFolder}: the PNG images are missing ('Core50Download.RunAsync' with Core50Download.Select(what) png)");
        // A missing image is reported now, naming the filelist, not hours into a run.
        foreach (var (list, file) in listing.TrainBatches.Select((b, i) => (b, Core50Layout.TrainFilelistName(i))).Append((listing.Test, Core50Layout.TestFilelistName)))
            for (int i = 0; i < list.Count; i++)
                if (!File.Exists(Path.Combine(layout.ImagesFolder, list.Keys[i])))
                    throw new FileNotFoundException(
                        $"{Path.Combine(layout.ImagesFolder, list.Keys[i])}: image not found (listed in {Path.Combine(layout.RunFolder(protocol, options.Run), file)}:{i + 1})");
        var arranged = listing.Arrange(options);
        int side = PngCodec.ReadSide(Path.Combine(layout.ImagesFolder, arranged.Test.Count > 0 ? arranged.Test.Keys[0] : arranged.TrainBatches[0].Keys[0]));
        IPatternSet Set(PatternList<string> list) => new PngPatternSet(layout.ImagesFolder, list, side);
        return new Scenario(name, arranged.TrainBatches.Select(Set).ToArray(), Set(arranged.Test), Core50Protocol.Classes);
    }

    private static Scenario LoadArray(Core50Layout layout, Core50Protocol protocol, Core50Options options, string name, Action<string>? log)
    {
        var listing = PickleListing.Read(layout, protocol, options.Run);
        int count = PickleListing.ImageCount(layout);
        foreach (var list in listing.TrainBatches.Append(listing.Test))
            foreach (int index in list.Keys)
                if (index >= count)
                    throw new InvalidDataException($"{layout.LupPickle}: image index {index} in [{protocol.Name}][{options.Run}] is beyond the {count} images of {layout.PathsPickle}");
        NpzImages.EnsureBin(layout.Npz, layout.Bin, log);
        var images = ImageArray.Open(layout.Bin, count);
        var arranged = listing.Arrange(options);
        IPatternSet Set(PatternList<int> list) => new ImageArrayPatternSet(images, list);
        return new Scenario(name, arranged.TrainBatches.Select(Set).ToArray(), Set(arranged.Test), Core50Protocol.Classes);
    }
}
