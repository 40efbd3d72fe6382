using System.Net.Http.Json;
using System.Text.Json;
using Ar1Star.Serve;
using SkiaSharp;
using static Ar1Star.Tests.Serve.ServeTestServer;

namespace Ar1Star.Tests.Serve;

/// <summary>The JSON API of <c>ar1 serve</c> through a real Kestrel on 127.0.0.1.</summary>
public class ServeApiTests
{
    [Fact]
    public async Task TeachesTwoClassesAndPredictsEachByNameSortedByProbability()
    {
        var random = new Random(3);
        await using var server = await StartAsync();
        FitStatistics(server.Host, random);
        using (var rename = await server.Client.PutAsJsonAsync("/api/classes/4", new { name = "red mug" })) await Ok(rename);

        var first = await server.Learn(4, Frames(Red, 8, random));
        Assert.Equal(("done", 0, 8), (first.GetProperty("state").GetString(), first.GetProperty("batch").GetInt32(), first.GetProperty("images").GetInt32()));
        // 8 frames are one mini-batch of 8 an epoch, and a live teach trains whole epochs up to 32
        // SGD steps (docs/live-learning.md#live-differences): 32 epochs, as the learner says, not the configured 4.
        Assert.Equal((32, 32), (first.GetProperty("epoch").GetInt32(), first.GetProperty("epochs").GetInt32()));
        var second = await server.Learn(1, Frames(Blue, 8, random));
        Assert.Equal(1, second.GetProperty("batch").GetInt32());

        // Random features do not separate two colours reliably from one-class batches (the
        // browser test checks right answers with pretrained weights); here: the answer's form.
        var top = (await server.Predict(FlatPng(Red.R, Red.G, Red.B, random))).GetProperty("top").EnumerateArray().ToArray();
        Assert.Equal(new[] { 1, 4 }, top.Select(s => s.GetProperty("class").GetInt32()).Order());
        Assert.Equal("red mug", top.Single(s => s.GetProperty("class").GetInt32() == 4).GetProperty("name").GetString());
        var probabilities = top.Select(s => s.GetProperty("probability").GetDouble()).ToArray();
        Assert.True(probabilities[0] >= probabilities[1]);
        Assert.Equal(1.0, probabilities.Sum(), 6);

        var classes = (await server.Get("/api/classes")).GetProperty("classes").EnumerateArray().ToArray();
        Assert.Equal(6, classes.Length);
        Assert.Equal(new[] { 1, 4 }, classes.Where(c => c.GetProperty("learnt").GetBoolean()).Select(c => c.GetProperty("class").GetInt32()));
        Assert.Equal(8, classes[4].GetProperty("images").GetInt32());
        Assert.Equal(2, (await server.Get("/api/status")).GetProperty("batchesLearnt").GetInt32());

        // The page's export: an ONNX model carrying the names.
        using (var export = await server.Client.GetAsync("/api/export.onnx"))
        {
            var onnx = await export.Content.ReadAsByteArrayAsync();
            Assert.True(export.IsSuccessStatusCode, System.Text.Encoding.UTF8.GetString(onnx));
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnx);
            Assert.Contains("red mug", session.ModelMetadata.CustomMetadataMap[Ar1Star.Learner.ContinualLearner.OnnxMetadata.ClassNames]);
        }

        // A frame of another size is cut to its centred square: the same answer as the square alone.
        var wide = (await server.Predict(WideFrame(withBands: true))).GetProperty("top")[0];
        var square = (await server.Predict(WideFrame(withBands: false))).GetProperty("top")[0];
        Assert.Equal(square.GetProperty("class").GetInt32(), wide.GetProperty("class").GetInt32());
        Assert.Equal(square.GetProperty("probability").GetDouble(), wide.GetProperty("probability").GetDouble(), 3);
    }

    [Fact]
    public async Task BadInputGetsAJsonErrorAndLeavesTheLearnerUnchanged()
    {
        var random = new Random(5);
        var limits = new UploadLimits(MaxRequestBytes: 64 << 10, MaxFileBytes: 16 << 10, MaxImages: 4);
        await using var server = await StartAsync(limits: limits);
        var png = FlatPng(1, 2, 3, random);

        async Task<string> Refused(HttpContent content, int status, string path = "/api/learn")
        {
            using var response = await server.Client.PostAsync(path, content);
            return await Error(response, status);
        }

        Assert.Contains("nothing learnt", await Refused(PredictForm(png), 409, "/api/predict"));
        using (var export = await server.Client.GetAsync("/api/export.onnx")) Assert.Contains("nothing learnt", await Error(export, 409));
        Assert.Contains("'notes.txt'", await Refused(new MultipartFormDataContent { { new StringContent("0"), "label" }, { new ByteArrayContent("just text"u8.ToArray()), "images", "notes.txt" } }, 400));
        Assert.Contains("no image", await Refused(LearnForm("0", []), 400));
        Assert.Contains("0..5", await Refused(LearnForm("6", [png]), 400));
        Assert.Contains("label", await Refused(LearnForm("mug", [png]), 400));
        Assert.Contains("at most 4", await Refused(LearnForm("0", Enumerable.Repeat(png, 5)), 413));
        var large = new byte[20 << 10];
        random.NextBytes(large);
        Assert.Contains("at most 16384", await Refused(LearnForm("0", [large]), 413));
        var huge = new byte[100 << 10];
        Assert.Contains("too large", await Refused(LearnForm("0", [huge]), 413));
        Assert.Contains("multipart", await Refused(JsonContent.Create(new { label = 0 }), 415));
        // One bad file among good ones refuses the whole batch.
        Assert.Contains("images[1]", await Refused(LearnForm("0", [png, "GIF89a?"u8.ToArray(), png]), 400));
        using (var rename = await server.Client.PutAsJsonAsync("/api/classes/9", new { name = "x" })) Assert.Contains("0..5", await Error(rename, 400));
        using (var missing = await server.Client.GetAsync("/api/nothing")) Assert.Contains("/api/nothing", await Error(missing, 404));
        using (var method = await server.Client.DeleteAsync("/api/classes")) Assert.Contains("DELETE", await Error(method, 405));

        var status = await server.Get("/api/status");
        Assert.Equal(0, status.GetProperty("batchesLearnt").GetInt32());
        Assert.Equal(0, status.GetProperty("jobs").GetArrayLength());
        Assert.All((await server.Get("/api/classes")).GetProperty("classes").EnumerateArray(), c => Assert.False(c.GetProperty("learnt").GetBoolean()));
        server.Host.OnLearnerForTests(learner => Assert.Equal((0, 0), (learner.BatchesLearnt, learner.Strategy.Memory.Count)));
    }

    [Fact]
    public async Task PredictionsAnswerWhileABatchLearnsAndTeachRequestsWaitTheirTurn()
    {
        var random = new Random(7);
        await using var server = await StartAsync();
        await server.Learn(0, Frames(Red, 6, random));
        using var inside = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim(false);
        server.Host.IterationHook = job =>
        {
            if (job.Label != 1 || release.IsSet) return;
            inside.Release();
            release.Wait(TimeSpan.FromMinutes(2));
        };
        // Batch 1 starts and is held at its first iteration; batch 2 queues behind it.
        using var learning = await server.Client.PostAsync("/api/learn?wait=false", LearnForm("1", Frames(Blue, 6, random)));
        Assert.Equal(202, (int)learning.StatusCode);
        int held = (await Ok(learning)).GetProperty("id").GetInt32();
        Assert.True(await inside.WaitAsync(TimeSpan.FromMinutes(2)), "batch 1 never started learning");
        using var queued = await server.Client.PostAsync("/api/learn?wait=false", LearnForm("2", Frames((20, 230, 20), 6, random)));
        int behind = (await Ok(queued)).GetProperty("id").GetInt32();

        // Answered from batch 0's snapshot while batch 1 is mid-way.
        var during = await server.Predict(FlatPng(Blue.R, Blue.G, Blue.B, random));
        Assert.Equal(1, during.GetProperty("batchesLearnt").GetInt32());
        Assert.Equal(0, during.GetProperty("top")[0].GetProperty("class").GetInt32());
        var jobs = (await server.Get("/api/status")).GetProperty("jobs").EnumerateArray()
            .Select(j => (j.GetProperty("id").GetInt32(), j.GetProperty("state").GetString()!)).ToArray();
        Assert.Equal(new[] { (held, "learning"), (behind, "queued") }, jobs);

        release.Set();
        var last = await WaitDone(server, behind);
        Assert.Equal(2, last.GetProperty("batch").GetInt32());
        Assert.Equal(1, (await server.Get($"/api/jobs/{held}")).GetProperty("batch").GetInt32());
        Assert.Equal(3, (await server.Predict(FlatPng(Blue.R, Blue.G, Blue.B, random), top: 5)).GetProperty("top").GetArrayLength());
    }

    [Fact]
    public async Task SaveAndRestartWithTheSameStateResumesNamesAndPredictions()
    {
        var random = new Random(11);
        string state = Path.Combine(Path.GetTempPath(), $"ar1-serve-{Guid.NewGuid():N}");
        var query = FlatPng(Blue.R, Blue.G, Blue.B, random);
        try
        {
            JsonElement before;
            await using (var server = await StartAsync(state))
            {
                await server.Learn(0, Frames(Red, 6, random));
                using (var rename = await server.Client.PutAsJsonAsync("/api/classes/3", new { name = "blue box" })) await Ok(rename);
                await server.Learn(3, Frames(Blue, 6, random));
                using (var save = await server.Client.PostAsync("/api/save", null))
                    Assert.Equal(2, (await Ok(save)).GetProperty("batchesLearnt").GetInt32());
                before = (await server.Predict(query)).GetProperty("top");
                using (var rename = await server.Client.PutAsJsonAsync("/api/classes/0", new { name = "red cup" })) await Ok(rename);
                // Shutdown saves again: the later name survives too.
            }
            await using (var server = await StartAsync(state))
            {
                Assert.Equal(2, (await server.Get("/api/status")).GetProperty("batchesLearnt").GetInt32());
                var classes = (await server.Get("/api/classes")).GetProperty("classes");
                Assert.Equal(("red cup", "blue box"), (classes[0].GetProperty("name").GetString(), classes[3].GetProperty("name").GetString()));
                var after = (await server.Predict(query)).GetProperty("top");
                Assert.Equal(before.GetArrayLength(), after.GetArrayLength());
                for (int i = 0; i < before.GetArrayLength(); i++)
                {
                    Assert.Equal(before[i].GetProperty("class").GetInt32(), after[i].GetProperty("class").GetInt32());
                    Assert.Equal(before[i].GetProperty("probability").GetDouble(), after[i].GetProperty("probability").GetDouble(), 5);
                }
                // It goes on learning from where it stopped.
                Assert.Equal(2, (await server.Learn(5, Frames((20, 230, 20), 4, random))).GetProperty("batch").GetInt32());
            }
        }
        finally
        {
            if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task ResetForgetsWhatWasLearntAndTheNames()
    {
        var random = new Random(9);
        await using var server = await StartAsync();
        using (var rename = await server.Client.PutAsJsonAsync("/api/classes/2", new { name = "cup" })) await Ok(rename);
        await server.Learn(2, Frames(Red, 4, random));
        using (var reset = await server.Client.PostAsync("/api/reset", null)) await Ok(reset);
        Assert.Equal(0, (await server.Get("/api/status")).GetProperty("batchesLearnt").GetInt32());
        Assert.Equal("class 2", (await server.Get("/api/classes")).GetProperty("classes")[2].GetProperty("name").GetString());
        using var predict = await server.Client.PostAsync("/api/predict", PredictForm(FlatPng(Red.R, Red.G, Red.B, random)));
        Assert.Contains("nothing learnt", await Error(predict, 409));
        // Learning starts again from batch 0.
        Assert.Equal(0, (await server.Learn(3, Frames(Blue, 4, random))).GetProperty("batch").GetInt32());
    }

    /// <summary>A red 64x64 square with a blue circle, alone or between blue 16-pixel bands (96x64).</summary>
    private static byte[] WideFrame(bool withBands)
    {
        int offset = withBands ? 16 : 0;
        using var bitmap = new SKBitmap(64 + 2 * offset, 64);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(Blue.R, Blue.G, Blue.B));
            using var red = new SKPaint { Color = new SKColor(Red.R, Red.G, Red.B) };
            using var blue = new SKPaint { Color = new SKColor(Blue.R, Blue.G, Blue.B) };
            canvas.DrawRect(offset, 0, 64, 64, red);
            canvas.DrawCircle(offset + 32, 32, 14, blue);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static async Task<JsonElement> WaitDone(ServeTestServer server, int id)
    {
        for (int i = 0; i < 3000; i++) // up to 10 minutes: a loaded CI machine is slow, and a stuck job still fails
        {
            var job = await server.Get($"/api/jobs/{id}");
            if (job.GetProperty("state").GetString() is "done" or "failed" or "cancelled") return job;
            await Task.Delay(200);
        }
        throw new TimeoutException($"job {id} did not finish");
    }
}
