using System.Net.Http.Json;
using System.Text.Json;
using Ar1Star.Learner;
using Ar1Star.Serve;
using static Ar1Star.Tests.Serve.ServeTestServer;

namespace Ar1Star.Tests.Serve;

/// <summary>
/// <c>ar1 serve</c> listens before its learner exists (docs/server.md#getting-ready): the host's
/// preparation is a delegate the tests hold on a gate, report progress through, or fail.
/// </summary>
public class ServePreparationTests
{
    private const string Started = "pretraining the built-in benchmark's lower layers (once; cached in /somewhere)";
    private const string FirstEpoch = "  pretraining epoch 1/3: loss 2.000";

    /// <summary>A preparation that reports the pretraining's first epoch, then waits for <paramref name="gate"/>.</summary>
    private static Func<Action<string>, ContinualLearner> Held(TaskCompletionSource reported, TaskCompletionSource gate, Exception? failure = null) => say =>
    {
        say(Started);
        say(FirstEpoch);
        reported.SetResult();
        gate.Task.GetAwaiter().GetResult();
        if (failure is not null) throw failure;
        return ContinualLearner.Create(TinyOptions);
    };

    private static (TaskCompletionSource Reported, TaskCompletionSource Gate) Gates() =>
        (new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously));

    private static byte[][] Frames(Random random) => ServeTestServer.Frames((200, 30, 30), 4, random);

    /// <summary>Every request that needs the learner, each made afresh (a request's content is sent once).</summary>
    private static IEnumerable<(string What, Func<HttpClient, Task<HttpResponseMessage>> Send)> LearnerRequests(Random random) =>
    [
        ("learn", c => c.PostAsync("/api/learn", LearnForm("1", Frames(random)))),
        ("predict", c => c.PostAsync("/api/predict", PredictForm(FlatPng(200, 30, 30, random)))),
        ("classes", c => c.GetAsync("/api/classes")),
        ("rename", c => c.PutAsJsonAsync("/api/classes/1", new { name = "mug" })),
        ("save", c => c.PostAsync("/api/save", null)),
        ("reset", c => c.PostAsync("/api/reset", null)),
        ("export", c => c.GetAsync("/api/export.onnx")),
    ];

    [Fact]
    public async Task WhilePreparingTheServerAnswersStatusAndRefusesLearnerRequestsWith503ThenServesOnceReady()
    {
        var random = new Random(5);
        var (reported, gate) = Gates();
        string state = Directory.CreateTempSubdirectory("ar1-serve-preparing-").FullName;
        await using var server = await StartPreparingAsync(LearnerHost.Open(TinyOptions, state, log: null, Held(reported, gate)));
        await reported.Task;

        Assert.Equal(HostState.Preparing, server.Host.State);
        Assert.False(server.Host.Ready.IsCompleted);
        var status = await server.Get("/api/status");
        Assert.Equal("preparing", status.GetProperty("state").GetString());
        Assert.Contains("pretraining epoch 1/3: loss 2.000; about ", status.GetProperty("activity").GetString());
        var progress = status.GetProperty("progress");
        Assert.Equal((1, 3), (progress.GetProperty("epoch").GetInt32(), progress.GetProperty("epochs").GetInt32()));
        Assert.True(progress.GetProperty("minutesLeft").GetInt32() >= 0);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("error").ValueKind);
        // What the page needs before the learner exists.
        Assert.Equal((32, 6, 0), (status.GetProperty("imageSize").GetInt32(), status.GetProperty("numClasses").GetInt32(), status.GetProperty("batchesLearnt").GetInt32()));

        foreach (var (what, send) in LearnerRequests(random))
        {
            using var response = await send(server.Client);
            string error = await Error(response, 503);
            Assert.True(error.StartsWith("the learner is getting ready: ", StringComparison.Ordinal) && error.Contains("pretraining epoch 1/3"), $"{what}: {error}");
        }
        Assert.False(Directory.EnumerateFileSystemEntries(state).Any(), "nothing is saved before the learner exists");

        gate.SetResult();
        await server.Host.Ready;
        Assert.Equal(HostState.Ready, server.Host.State);
        status = await server.Get("/api/status");
        Assert.Equal("ready", status.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("activity").ValueKind);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("progress").ValueKind);
        var learnt = await server.Learn(1, Frames(random));
        Assert.Equal("done", learnt.GetProperty("state").GetString());
        Assert.Equal(1, (await server.Predict(FlatPng(200, 30, 30, random))).GetProperty("batchesLearnt").GetInt32());
    }

    [Fact]
    public async Task APreparationThatFailsIsShownInStatusAndEveryLearnerRequestSaysWhy()
    {
        var random = new Random(6);
        var (reported, gate) = Gates();
        var failure = new IOException("/cache/builtin.pt: no space left on device");
        await using var server = await StartPreparingAsync(LearnerHost.Open(TinyOptions, stateDir: null, log: null, Held(reported, gate, failure)));
        await reported.Task;
        Assert.Equal(HostState.Preparing, server.Host.State);

        gate.SetResult();
        Assert.Same(failure, await Assert.ThrowsAsync<IOException>(() => server.Host.Ready));
        Assert.Equal(HostState.Failed, server.Host.State);
        var status = await server.Get("/api/status");
        Assert.Equal("failed", status.GetProperty("state").GetString());
        Assert.Equal("/cache/builtin.pt: no space left on device", status.GetProperty("error").GetString());
        foreach (var (what, send) in LearnerRequests(random))
        {
            using var response = await send(server.Client);
            Assert.True(await Error(response, 503) == "the learner could not be prepared: /cache/builtin.pt: no space left on device", what);
        }
    }

    [Fact]
    public async Task StoppingWhilePreparingDoesNotWaitForThePreparationAndNothingIsServedAfter()
    {
        var (reported, gate) = Gates();
        var host = LearnerHost.Open(TinyOptions, stateDir: null, log: null, Held(reported, gate));
        await reported.Task;

        // Not awaiting the preparation (a pretraining takes minutes): done before the gate opens.
        Assert.True(host.DisposeAsync().IsCompletedSuccessfully);
        gate.SetResult();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.Ready);
        Assert.Equal(HostState.Preparing, host.State);
        Assert.Equal(503, Assert.Throws<ApiException>(() => host.Teach([LearnerImage.FromEncoded(FlatPng(1, 2, 3, new Random(1)))], 0)).Status);
    }

    [Fact]
    public void TheProgressCarriesTheEpochAndAnEstimateUntilTheLastEpoch()
    {
        var console = new List<string>();
        var progress = new PretrainingProgress(console.Add);
        progress.Log("building the learner (mobilenetv1, 64x64 images)");
        Assert.Equal(new PreparationProgress("building the learner (mobilenetv1, 64x64 images)", null, null, null), progress.Latest);
        progress.Log(Started);
        progress.Log(FirstEpoch);
        Assert.Equal((1, 3), (progress.Latest.Epoch, progress.Latest.Epochs));
        Assert.NotNull(progress.Latest.MinutesLeft);
        Assert.StartsWith("pretraining epoch 1/3: loss 2.000; about ", progress.Latest.Line);
        progress.Log("  pretraining epoch 3/3: loss 1.000");
        Assert.Equal("pretraining epoch 3/3: loss 1.000", progress.Latest.Line);
        Assert.Equal(0, progress.Latest.MinutesLeft);
        Assert.Equal(4, console.Count);
        Assert.Contains("the learner is getting ready", console[1]);
        Assert.EndsWith(" min left", console[2]);
        Assert.Equal("  pretraining epoch 3/3: loss 1.000", console[3]);
    }
}
