using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Ar1Star.Learner;
using Ar1Star.Strategy;

namespace Ar1Star.Serve;

/// <summary>
/// Owns the learner for the web application. One background worker does everything that changes
/// it (teach, rename into it, save, reset), one request at a time in arrival order, so batches
/// are never interleaved. Predictions never touch the learner: after every batch the worker
/// publishes an <see cref="InferenceSnapshot"/>, which predictions borrow, so they keep being
/// answered (with what was learnt before) while the next batch trains.
/// The worker first prepares the learner (resumes it, or builds it, with the built-in pretraining
/// when not cached: minutes); until it is <see cref="HostState.Ready"/> every request that needs
/// the learner is refused with 503 (docs/server.md#getting-ready).
/// </summary>
public sealed class LearnerHost : IAsyncDisposable
{
    private readonly LearnerOptions options;
    private readonly Action<string>? log;
    private readonly Channel<Func<Task>> work = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<int, TeachJob> jobs = new();
    private readonly ConcurrentQueue<TeachJob> pending = new();
    private readonly Lock classLock = new();
    private readonly Task worker;
    private readonly Lock phaseLock = new();
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PretrainingProgress progress;
    private readonly ConcurrentDictionary<int, IncomingTeach> incoming = new();
    // Held while an incoming teach takes the learner and while a reset swaps it, so none is left on a freed one.
    private readonly Lock incomingLock = new();
    // Set once the preparation succeeds; only the worker uses it after that, but an incoming teach
    // takes it (under incomingLock, which a reset holds to swap it) to begin its batch.
    private ContinualLearner learner = null!;
    private InferenceSnapshot? snapshot;
    private ClassRecord[] classes = [];
    private HostState phase = HostState.Preparing;
    private string? failure;
    private int nextJob;
    private int nextIncoming;
    private bool disposed;

    private LearnerHost(LearnerOptions options, string? stateDir, Action<string>? log, Func<Action<string>, ContinualLearner> prepare)
    {
        this.options = options;
        this.log = log;
        StateDir = stateDir;
        progress = new PretrainingProgress(log);
        progress.Log(HoldsSavedLearner(stateDir)
            ? $"resuming the learner saved in {stateDir}"
            : $"building the learner ({options.Backbone}, {options.ImageSize}x{options.ImageSize} images)");
        worker = Task.Run(() => RunAsync(prepare));
    }

    /// <summary>
    /// Starts preparing the learner in the background and returns at once: it resumes the learner
    /// saved in <paramref name="stateDir"/> if there is one (it must have been saved with the same
    /// settings), else builds a fresh one from <paramref name="options"/>, as <see cref="ResetAsync"/>
    /// does again. <see cref="Ready"/> says when it is done, or why it failed.
    /// </summary>
    /// <exception cref="IOException">The state folder is a file, or cannot be written in (checked before anything starts).</exception>
    public static LearnerHost Open(LearnerOptions options, string? stateDir, Action<string>? log = null)
    {
        if (stateDir is not null) RequireWritable(stateDir);
        return Open(options, stateDir, log, say => HoldsSavedLearner(stateDir)
            ? ContinualLearner.Load(stateDir, options, say)
            : ContinualLearner.Create(options, say));
    }

    // One answer for what the start-up line announces and what the preparation does.
    private static bool HoldsSavedLearner([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? stateDir) =>
        stateDir is not null && global::Ar1Star.State.StateFolder.Exists(stateDir);

    /// <summary>As the public <see cref="Open(LearnerOptions, string?, Action{string}?)"/>, with the preparation given (tests hold or fail it).</summary>
    internal static LearnerHost Open(LearnerOptions options, string? stateDir, Action<string>? log, Func<Action<string>, ContinualLearner> prepare) =>
        new(options, stateDir, log, prepare);

    /// <summary>Preparing, ready, or failed.</summary>
    public HostState State
    {
        get { lock (phaseLock) return phase; }
    }

    /// <summary>
    /// Completes when the learner is ready; faults with the preparation's exception if it failed;
    /// cancelled when the host is disposed before.
    /// </summary>
    public Task Ready => ready.Task;

    /// <summary>What the preparation is doing (its last log line, the pretraining's epoch and estimate); null once ready.</summary>
    public PreparationProgress? Preparation => State == HostState.Ready ? null : progress.Latest;

    /// <summary>Why the preparation failed, on one line (null unless <see cref="HostState.Failed"/>).</summary>
    public string? Failure
    {
        get { lock (phaseLock) return failure; }
    }

    /// <summary>Refuses, with 503 and what it is doing, every request that needs the learner before it is ready.</summary>
    /// <exception cref="ApiException">503 while preparing, or after the preparation failed.</exception>
    public void RequireReady()
    {
        lock (phaseLock)
        {
            if (phase == HostState.Ready) return;
            if (phase == HostState.Failed) throw new ApiException(503, $"the learner could not be prepared: {failure}");
        }
        // The line carries the pretraining's estimate where it has one.
        throw new ApiException(503, $"the learner is getting ready: {progress.Latest.Line}; try again when /api/status says \"ready\"");
    }

    private async Task RunAsync(Func<Action<string>, ContinualLearner> prepare)
    {
        ContinualLearner prepared;
        try
        {
            prepared = prepare(progress.Log);
        }
        catch (Exception e)
        {
            string reason = ApiException.MessageOf(e).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? e.GetType().Name;
            lock (phaseLock)
            {
                phase = HostState.Failed;
                failure = reason;
            }
            ready.TrySetException(e);
            return;
        }
        lock (phaseLock)
        {
            if (disposed)
            {
                // Stopped while preparing: nothing was learnt, nothing to save.
                prepared.Dispose();
                ready.TrySetCanceled();
                return;
            }
            learner = prepared;
            classes = ClassRecords(learner);
            Publish();
            phase = HostState.Ready;
        }
        ready.TrySetResult();
        await WorkAsync();
    }

    /// <summary>
    /// The state folder is checked before anything is taught: found only at the first save, or at
    /// shutdown, a folder that cannot be written lost everything taught since the start.
    /// </summary>
    /// <exception cref="IOException">A file is in its place, or a file cannot be created in it.</exception>
    private static void RequireWritable(string stateDir)
    {
        if (File.Exists(stateDir))
            throw new IOException($"--state: {stateDir} is a file; expected a folder to save the learner in (created when missing)");
        string probe = Path.Combine(stateDir, $".ar1-write-test-{Environment.ProcessId}.tmp");
        try
        {
            Directory.CreateDirectory(stateDir);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--state: cannot write in {stateDir} ({Storage.FileSystemErrors.Reason(e)}); expected a writable folder, or the learner taught would be lost at shutdown", e);
        }
    }

    /// <summary>Where <see cref="SaveAsync"/> writes (null: saving is refused).</summary>
    public string? StateDir { get; }

    // Fixed for the host's life (a reset builds the same kind of learner), known before the learner is.
    public int ImageSize => options.ImageSize;
    public int NumClasses => options.Config.NumClasses;

    /// <summary>Batches learnt by the model predictions currently use.</summary>
    public int BatchesLearnt => Volatile.Read(ref snapshot)?.BatchesLearnt ?? 0;

    /// <summary>Teach requests waiting or learning now.</summary>
    public IReadOnlyList<TeachJob> ActiveJobs => pending.Where(j => j.State is TeachState.Queued or TeachState.Learning).ToArray();

    /// <summary>Called on the learner's thread after every training iteration (tests hold a batch mid-way with it).</summary>
    internal Action<TeachJob>? IterationHook { get; set; }

    /// <summary>Called on the learner's thread before each new snapshot is built (tests hold the build with it).</summary>
    internal Action? PublishHook { get; set; }

    public TeachJob? Job(int id) => jobs.GetValueOrDefault(id);

    /// <summary>Every class: its name, whether it was learnt and how many images it was taught with.</summary>
    /// <exception cref="ApiException">503 before the learner is ready.</exception>
    public IReadOnlyList<ClassRecord> Classes
    {
        get
        {
            RequireReady();
            lock (classLock) return classes.ToArray();
        }
    }

    /// <summary>Renames a class at once (the learner receives the names when saved).</summary>
    /// <exception cref="ApiException">No such class.</exception>
    public ClassRecord Rename(int c, string? name)
    {
        RequireReady();
        CheckClass(c);
        string given = string.IsNullOrWhiteSpace(name) ? DefaultName(c) : name.Trim();
        lock (classLock) return classes[c] = classes[c] with { Name = given };
    }

    public string ClassName(int c)
    {
        lock (classLock) return classes[c].Name;
    }

    /// <summary>Queues images of class <paramref name="label"/> as one incremental batch.</summary>
    /// <exception cref="ApiException">A label outside the classes, no images, or the host is shutting down.</exception>
    public TeachJob Teach(IReadOnlyList<LearnerImage> images, int label)
    {
        RequireReady();
        CheckClass(label);
        ImageUploads.RequireSome(images);
        return Queue(new TeachJob(Interlocked.Increment(ref nextJob), label, images) { ImageCount = images.Count });
    }

    private TeachJob Queue(TeachJob job)
    {
        jobs[job.Id] = job;
        pending.Enqueue(job);
        ForgetOldJobs();
        if (!work.Writer.TryWrite(() => Task.Run(() => Learn(job))))
            job.TryCancel();
        return job;
    }

    /// <summary>Incoming teaches open at once; opening one more drops the one that waited longest for frames (a page that went away).</summary>
    internal const int MaxOpenIncoming = 4;

    /// <summary>Opens a teach of class <paramref name="label"/> whose frames arrive in several uploads (docs/server.md#incoming-teach).</summary>
    /// <exception cref="ApiException">A label outside the classes, or the learner is not ready.</exception>
    internal IncomingTeach BeginIncoming(int label)
    {
        RequireReady();
        CheckClass(label);
        IncomingTeach teach;
        lock (incomingLock)
        {
            teach = new IncomingTeach(Interlocked.Increment(ref nextIncoming), label, learner);
            incoming[teach.Id] = teach;
        }
        foreach (var stale in incoming.Values.OrderBy(t => t.LastUsed).ThenBy(t => t.Id).SkipLast(MaxOpenIncoming))
            if (incoming.TryRemove(stale.Id, out _)) stale.Drop();
        return teach;
    }

    /// <summary>The open incoming teach <paramref name="id"/>.</summary>
    /// <exception cref="ApiException">None is open with that id (404).</exception>
    internal IncomingTeach Incoming(int id)
    {
        RequireReady();
        return incoming.GetValueOrDefault(id)
            ?? throw new ApiException(404, $"no open incoming teach {id} (learnt, dropped, or one of more than {MaxOpenIncoming} open at once); open one with POST /api/incoming");
    }

    /// <summary>Queues the frames of incoming teach <paramref name="id"/> as one incremental batch.</summary>
    /// <exception cref="ApiException">No such teach (404), it holds no frame (400).</exception>
    internal TeachJob LearnIncoming(int id)
    {
        var teach = Incoming(id);
        // With the reset's swap: the job is queued (and withdrawn by the reset) or the teach was dropped first.
        lock (incomingLock)
        {
            var batch = teach.TakeForLearning();
            incoming.TryRemove(id, out _);
            return Queue(new TeachJob(Interlocked.Increment(ref nextJob), teach.Label, batch, teach.Owner) { ImageCount = batch.Count });
        }
    }

    /// <summary>Drops incoming teach <paramref name="id"/> and its frames.</summary>
    /// <exception cref="ApiException">No such teach (404).</exception>
    internal void DropIncoming(int id)
    {
        var teach = Incoming(id);
        if (incoming.TryRemove(id, out _)) teach.Drop();
    }

    /// <summary>Top classes for each image from the latest snapshot; never waits for learning.</summary>
    /// <exception cref="ApiException">409 when nothing has been learnt yet.</exception>
    public IReadOnlyList<IReadOnlyList<ClassScore>> Predict(IReadOnlyList<LearnerImage> images, int top)
    {
        RequireReady();
        while (true)
        {
            var current = Volatile.Read(ref snapshot);
            if (current is null) throw new ApiException(409, "nothing learnt yet: teach a class first");
            if (!current.TryAcquire()) continue; // replaced and freed meanwhile: take the newer one
            try
            {
                return current.Predict(images, ClassName, top);
            }
            finally
            {
                current.Release();
            }
        }
    }

    /// <summary>Writes the state folder atomically, after the teach requests queued before it.</summary>
    /// <exception cref="ApiException">409 when the host has no state folder.</exception>
    public Task<int> SaveAsync()
    {
        RequireReady();
        string dir = StateDir ?? throw new ApiException(409, "no state folder: start the server with --state DIR to save");
        return OnWorker(() => Save(dir));
    }

    /// <summary>Forgets everything learnt (and the names); queued teach requests are withdrawn.</summary>
    public Task ResetAsync()
    {
        RequireReady();
        foreach (var job in pending) job.TryCancel();
        return OnWorker(() =>
        {
            var fresh = ContinualLearner.Create(options, log);
            var old = learner;
            lock (incomingLock)
            {
                learner = fresh;
                ReleaseIncoming(old);
            }
            lock (classLock) classes = ClassRecords(fresh);
            var retired = Interlocked.Exchange(ref snapshot, null);
            retired?.Dispose();
            // Predictions in flight may still run the old snapshot, which shares the old network's pool layer.
            SpinWait.SpinUntil(() => retired is null || retired.IsFreed);
            old.Dispose();
            log?.Invoke("reset: a fresh learner, nothing learnt");
            return 0;
        });
    }

    /// <summary>
    /// Drops the incoming teaches of <paramref name="old"/> and withdraws its queued ones (each waits
    /// for the latents it is computing), before <paramref name="old"/> is freed.
    /// </summary>
    private void ReleaseIncoming(ContinualLearner old)
    {
        foreach (var teach in incoming.Values.Where(t => t.Owner == old))
            if (incoming.TryRemove(teach.Id, out _)) teach.Drop();
        foreach (var job in pending.Where(j => j.Owner == old)) job.TryCancel();
    }

    /// <summary>Runs <paramref name="action"/> on the learner's thread, in turn with the queued work (tests inspect or prepare the learner).</summary>
    internal void OnLearnerForTests(Action<ContinualLearner> action) => OnWorker(() =>
    {
        action(learner);
        return 0;
    }).GetAwaiter().GetResult();

    private void Learn(TeachJob job)
    {
        if (!job.TryStart()) return; // withdrawn by a reset
        var clock = Stopwatch.StartNew();
        int batch = learner.BatchesLearnt;
        int epochs = learner.EpochsFor(job.ImageCount);
        job.Epochs = (0, epochs);
        void Progress(object? sender, TrainingIteration it)
        {
            job.Epochs = (it.Epoch + 1, epochs);
            IterationHook?.Invoke(job);
        }
        learner.IterationDone += Progress;
        try
        {
            if (job.Incoming is { } frames) frames.Learn();
            else learner.Learn(job.Images!, job.Label);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            job.Fail(ApiException.MessageOf(e));
            return;
        }
        finally
        {
            learner.IterationDone -= Progress;
        }
        Publish();
        lock (classLock) classes[job.Label] = classes[job.Label] with { Learnt = true, Images = classes[job.Label].Images + job.ImageCount };
        job.Epochs = (epochs, epochs);
        job.Succeed(batch, clock.Elapsed.TotalSeconds);
        log?.Invoke($"learnt batch {batch}: {job.ImageCount} images of class {job.Label} ({ClassName(job.Label)}) in {clock.Elapsed.TotalSeconds:F2} s");
    }

    /// <summary>The learnt classifier as ONNX bytes (class names in its metadata), after the teach requests queued before it.</summary>
    /// <exception cref="ApiException">409 when nothing has been learnt yet.</exception>
    public Task<byte[]> ExportOnnxAsync()
    {
        RequireReady();
        return OnWorker(() =>
        {
            if (learner.BatchesLearnt == 0) throw new ApiException(409, "nothing learnt yet: teach a class before exporting");
            GiveNamesToLearner();
            return learner.ExportOnnx();
        });
    }

    private void GiveNamesToLearner()
    {
        ClassRecord[] records;
        lock (classLock) records = classes.ToArray();
        foreach (var record in records) learner.SetClassName(record.Class, record.Name);
    }

    private int Save(string dir)
    {
        GiveNamesToLearner();
        learner.Save(dir);
        log?.Invoke($"saved {dir} ({learner.BatchesLearnt} batches)");
        return learner.BatchesLearnt;
    }

    /// <summary>Builds and swaps in a snapshot of the learner (none before anything is learnt).</summary>
    private void Publish()
    {
        PublishHook?.Invoke();
        // With the ONNX Runtime engine this is the export and the session (docs/performance.md#onnx-runtime-route):
        // predictions keep borrowing the previous snapshot meanwhile.
        var next = learner.BatchesLearnt > 0 ? new InferenceSnapshot(learner) : null;
        Interlocked.Exchange(ref snapshot, next)?.Dispose();
    }

    private Task<T> OnWorker<T>(Func<T> action)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<Task> item = () => Task.Run(() =>
        {
            try
            {
                result.SetResult(action());
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        });
        if (!work.Writer.TryWrite(item)) throw new ApiException(503, "the server is shutting down");
        return result.Task;
    }

    private async Task WorkAsync()
    {
        await foreach (var item in work.Reader.ReadAllAsync())
        {
            try
            {
                await item();
            }
            catch (Exception e)
            {
                // A failure of one request must not stop the learner's thread for the others.
                log?.Invoke($"error: {e.Message}");
            }
        }
    }

    private void ForgetOldJobs()
    {
        while (pending.TryPeek(out var head) && head.State is not (TeachState.Queued or TeachState.Learning) && pending.TryDequeue(out _)) { }
        foreach (var id in jobs.Keys.Where(id => id <= nextJob - 200)) jobs.TryRemove(id, out _);
    }

    private void CheckClass(int c)
    {
        if (c < 0 || c >= NumClasses) throw new ApiException(400, $"label: class {c} does not exist; expected a class id in 0..{NumClasses - 1}");
    }

    private static string DefaultName(int c) => $"class {c}";

    private static ClassRecord[] ClassRecords(ContinualLearner learner)
    {
        var seen = learner.ClassesSeen.ToHashSet();
        return Enumerable.Range(0, learner.NumClasses).Select(c => new ClassRecord(c, learner.ClassName(c), seen.Contains(c), 0)).ToArray();
    }

    /// <summary>Withdraws queued requests, lets the one learning finish, saves (with a state folder) and frees the learner.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (phaseLock)
        {
            if (disposed) return;
            disposed = true;
            if (phase != HostState.Ready)
            {
                // Preparing: not waited for (a pretraining takes minutes), it frees what it builds; failed: nothing to free.
                work.Writer.TryComplete();
                return;
            }
        }
        foreach (var job in pending) job.TryCancel();
        Task saved = StateDir is null ? Task.CompletedTask : SaveAsync();
        work.Writer.TryComplete();
        try
        {
            await saved;
        }
        finally
        {
            await worker;
            Interlocked.Exchange(ref snapshot, null)?.Dispose();
            lock (incomingLock) ReleaseIncoming(learner);
            learner.Dispose();
        }
    }
}

/// <summary>What the page shows of a class slot.</summary>
/// <param name="Class">Its index (the label).</param>
/// <param name="Name">Its name as set, else "class N".</param>
/// <param name="Learnt">Whether a learnt batch held it.</param>
/// <param name="Images">Images it was taught with since the server started (the saved state keeps no count).</param>
public sealed record ClassRecord(int Class, string Name, bool Learnt, int Images);

/// <summary>Where a <see cref="LearnerHost"/> stands (docs/server.md#getting-ready).</summary>
public enum HostState
{
    /// <summary>Resuming or building the learner; requests that need it are refused with 503.</summary>
    Preparing,

    /// <summary>The learner answers.</summary>
    Ready,

    /// <summary>The preparation failed (<see cref="LearnerHost.Failure"/> says why); requests that need the learner are refused with 503.</summary>
    Failed,
}
