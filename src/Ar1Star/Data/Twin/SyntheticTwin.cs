using Ar1Star.Data.Core50;
using System.Globalization;
using Ar1Star.Data.Synthetic;
using Ar1Star.Storage;

namespace Ar1Star.Data.Twin;

/// <summary>
/// Writes the procedurally generated CORe50 twin in exactly the official layout (PNG tree,
/// filelists of every scenario and run, and the reference's npz + pickles), so that everyone
/// without the 8 GB dataset exercises the very code path of the real one.
/// </summary>
public static class SyntheticTwin
{
    private const int Sessions = SyntheticCore50.Sessions;
    private const int RenderChunk = 256;

    /// <summary>CORe50's name for a frame: <c>sS/oO/C_SS_OO_FFF.png</c>, objects and sessions 1-based.</summary>
    public static string RelativePath(SyntheticFrame f)
    {
        var c = CultureInfo.InvariantCulture;
        int o = f.Object + 1;
        return string.Create(c, $"s{f.Session}/o{o}/C_{f.Session:00}_{o:00}_{f.Frame:000}.png");
    }

    /// <summary>
    /// Writes the twin into <paramref name="destination"/>, which must not exist yet: it is built
    /// in a sibling folder and renamed at the end, so it appears complete or not at all.
    /// </summary>
    public static void Write(string destination, SyntheticCore50Options options, TwinContents contents, Action<string>? log = null)
    {
        options.Validate();
        string target = Path.GetFullPath(destination);
        if (File.Exists(target)) throw new IOException($"{target} is a file; expected a folder to create (the twin is written before it is moved there)");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"{target} already exists and is not empty; choose another folder or delete it");
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        string building = Path.Combine(parent, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.partial");
        try
        {
            WriteInto(building, options, contents, log);
            // Inside the folder before it appears: a twin is complete and undamaged when its files match.
            FolderManifest.Write(building);
            if (Directory.Exists(target)) Directory.Delete(target);
            Directory.Move(building, target);
        }
        finally
        {
            if (Directory.Exists(building)) Directory.Delete(building, recursive: true);
        }
    }

    private static void WriteInto(string root, SyntheticCore50Options options, TwinContents contents, Action<string>? log)
    {
        var layout = new Core50Layout(root);
        int FramesIn(int session) => SyntheticCore50.IsTestSession(session) ? options.TestFramesPerUnit : options.FramesPerUnit;
        // Every frame, session-major: the order of paths.pkl and of the image array.
        var frames = Enumerable.Range(1, Sessions)
            .SelectMany(s => Enumerable.Range(0, SyntheticCore50Options.Objects).SelectMany(o => Enumerable.Range(0, FramesIn(s)).Select(f => new SyntheticFrame(o, s, f))))
            .ToArray();
        var indexOf = frames.Select((f, i) => (f, i)).ToDictionary(p => p.f, p => p.i);
        var paths = frames.Select(RelativePath).ToArray();
        var images = new SyntheticPatternSet(options, frames);

        log?.Invoke($"rendering {frames.Length} frames of {options.ImageSize}x{options.ImageSize} into {root}");
        Directory.CreateDirectory(root);
        if (contents.Png)
            foreach (var dir in paths.Select(p => Path.GetDirectoryName(p)!).Distinct())
                Directory.CreateDirectory(Path.Combine(layout.ImagesFolder, dir));
        void Render(Action<int, byte[], int> chunkDone)
        {
            int bytes = options.ImageSize * options.ImageSize * 3;
            var buffer = new byte[RenderChunk * bytes];
            for (int start = 0; start < frames.Length; start += RenderChunk)
            {
                int n = Math.Min(RenderChunk, frames.Length - start), from = start;
                Parallel.For(0, n, k => images.ReadImages([from + k], buffer.AsSpan(k * bytes, bytes)));
                if (contents.Png)
                    Parallel.For(0, n, k => File.WriteAllBytes(Path.Combine(layout.ImagesFolder, paths[from + k]),
                        PngCodec.Encode(buffer.AsSpan(k * bytes, bytes), options.ImageSize)));
                chunkDone(start, buffer, n);
            }
        }
        if (contents.Npz)
            NpzImages.Write(layout.Npz, new NpyHeader(frames.Length, options.ImageSize),
                stream => Render((_, buffer, n) => stream.Write(buffer, 0, n * options.ImageSize * options.ImageSize * 3)));
        else
            Render((_, _, _) => { });

        log?.Invoke("writing the protocols' filelists and pickles");
        var lup = new Dictionary<string, object>();
        var labels = new Dictionary<string, object>();
        foreach (var protocol in contents.ProtocolsOrAll)
        {
            var lupRuns = new List<object>();
            var labelRuns = new List<object>();
            for (int run = 0; run < Core50Protocol.Runs; run++)
            {
                var listing = SyntheticProtocols.Listing(protocol, run, FramesIn);
                var lists = listing.TrainBatches.Append(listing.Test).ToArray();
                if (contents.Png)
                {
                    string folder = Path.Combine(root, protocol.FilelistFolder, $"run{run}");
                    Directory.CreateDirectory(folder);
                    for (int b = 0; b < lists.Length; b++)
                    {
                        string name = b < listing.TrainBatches.Count ? Core50Layout.TrainFilelistName(b) : Core50Layout.TestFilelistName;
                        File.WriteAllText(Path.Combine(folder, name), Filelist.Format(new PatternList<string>(lists[b].Keys.Select(RelativePath).ToArray(), lists[b].Labels)));
                    }
                }
                lupRuns.Add(lists.Select(l => (object)l.Keys.Select(f => indexOf[f]).ToList()).ToList());
                labelRuns.Add(lists.Select(l => (object)l.Labels.ToList()).ToList());
            }
            lup[protocol.Name] = lupRuns;
            labels[protocol.Name] = labelRuns;
        }
        if (contents.Npz)
        {
            PickleFile.Save(layout.PathsPickle, paths.ToList());
            PickleFile.Save(layout.LupPickle, lup);
            PickleFile.Save(layout.LabelsPickle, labels);
        }
    }
}
