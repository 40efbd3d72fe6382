using System.Text.Json;
using Ar1Star.Serve;
using static Ar1Star.Tests.Serve.ServeTestServer;

namespace Ar1Star.Tests.Serve;

/// <summary>
/// Teaches whose frames arrive in several uploads while captured (docs/server.md#incoming-teach),
/// through a real Kestrel: the same learner as one upload of the same frames, to the bit; and
/// every wrong use refused with its status and the teach or the learner left as they were.
/// </summary>
public class ServeIncomingTeachTests
{
    private static async Task<JsonElement> Post(ServeTestServer server, string path, HttpContent? content = null)
    {
        using var response = await server.Client.PostAsync(path, content);
        return await Ok(response);
    }

    private static MultipartFormDataContent LabelForm(string label) => new() { { new StringContent(label), "label" } };

    /// <summary>Opens an incoming teach of <paramref name="label"/>, uploads <paramref name="parts"/> one after another, and returns its id.</summary>
    private static async Task<int> Upload(ServeTestServer server, int label, params byte[][][] parts)
    {
        int id = (await Post(server, "/api/incoming", LabelForm(label.ToString()))).GetProperty("id").GetInt32();
        int held = 0;
        foreach (var part in parts)
        {
            var answer = await Post(server, $"/api/incoming/{id}/images", LearnForm(label.ToString(), part));
            held += part.Length;
            Assert.Equal((id, label, held), (answer.GetProperty("id").GetInt32(), answer.GetProperty("label").GetInt32(), answer.GetProperty("images").GetInt32()));
        }
        return id;
    }

    private static double[] Probabilities(JsonElement prediction) =>
        prediction.GetProperty("top").EnumerateArray().OrderBy(s => s.GetProperty("class").GetInt32()).Select(s => s.GetProperty("probability").GetDouble()).ToArray();

    [Fact]
    public async Task FramesUploadedAsCapturedAreLearntAsOneUploadOfThemIs()
    {
        var red = Frames(Red, 21, new Random(3));
        var blue = Frames(Blue, 21, new Random(4));
        var query = FlatPng(200, 60, 60, new Random(5));

        await using var whole = await StartAsync();
        // The same statistics on both servers.
        FitStatistics(whole.Host, new Random(1));
        await whole.Learn(2, red);
        await whole.Learn(4, blue);

        await using var incoming = await StartAsync();
        FitStatistics(incoming.Host, new Random(1));
        int first = await Upload(incoming, 2, red[..7], red[7..14], red[14..]);
        var job = await Post(incoming, $"/api/incoming/{first}/learn");
        Assert.Equal(("done", 0, 21), (job.GetProperty("state").GetString(), job.GetProperty("batch").GetInt32(), job.GetProperty("images").GetInt32()));
        int second = await Upload(incoming, 4, blue[..20], blue[20..]);
        Assert.Equal(1, (await Post(incoming, $"/api/incoming/{second}/learn")).GetProperty("batch").GetInt32());

        var expected = Probabilities(await whole.Predict(query));
        var actual = Probabilities(await incoming.Predict(query));
        Assert.Equal(2, expected.Length);
        Assert.Equal(expected, actual);
        Assert.Equal(21, (await incoming.Get("/api/classes")).GetProperty("classes")[2].GetProperty("images").GetInt32());
    }

    [Fact]
    public async Task WrongUsesAreRefusedAndLeaveTheTeachAsItWas()
    {
        await using var server = await StartAsync(limits: new UploadLimits(MaxImages: 5));
        var frames = Frames((20, 200, 20), 6, new Random(6));

        async Task<string> Refused(string path, HttpContent? content, int status, bool delete = false)
        {
            using var response = delete ? await server.Client.DeleteAsync(path) : await server.Client.PostAsync(path, content);
            return await Error(response, status);
        }

        Assert.Contains("0..5", await Refused("/api/incoming", LabelForm("6"), 400));
        Assert.Contains("no open incoming teach 99", await Refused("/api/incoming/99/images", LearnForm("0", frames[..1]), 404));
        int id = (await Post(server, "/api/incoming", LabelForm("1"))).GetProperty("id").GetInt32();
        Assert.Contains($"incoming teach {id} holds no frame", await Refused($"/api/incoming/{id}/learn", null, 400));
        Assert.Contains("no image", await Refused($"/api/incoming/{id}/images", LabelForm("1"), 400));
        await Post(server, $"/api/incoming/{id}/images", LearnForm("1", frames[..3]));
        // 3 held and 3 more would pass the 5 a teach may hold: refused whole, the 3 kept.
        Assert.Contains("3 frames held and 3 more; at most 5", await Refused($"/api/incoming/{id}/images", LearnForm("1", frames[3..]), 413));
        Assert.Equal(3, (await Post(server, $"/api/incoming/{id}/learn")).GetProperty("images").GetInt32());
        Assert.Contains($"no open incoming teach {id}", await Refused($"/api/incoming/{id}/images", LearnForm("1", frames[..1]), 404));

        // Dropped: by DELETE, by a fifth open teach (the one that waited longest goes), by a reset.
        int dropped = await Upload(server, 2, frames[..2]);
        using (var delete = await server.Client.DeleteAsync($"/api/incoming/{dropped}")) await Ok(delete);
        Assert.Contains($"no open incoming teach {dropped}", await Refused($"/api/incoming/{dropped}/learn", null, 404));
        var open = new List<int>();
        for (int i = 0; i <= LearnerHost.MaxOpenIncoming; i++) open.Add(await Upload(server, 3, frames[..1]));
        Assert.Contains($"no open incoming teach {open[0]}", await Refused($"/api/incoming/{open[0]}/images", LearnForm("3", frames[..1]), 404));
        await Post(server, $"/api/incoming/{open[1]}/images", LearnForm("3", frames[1..2]));
        using (var reset = await server.Client.PostAsync("/api/reset", null)) await Ok(reset);
        Assert.Contains($"no open incoming teach {open[1]}", await Refused($"/api/incoming/{open[1]}/learn", null, 404));
        server.Host.OnLearnerForTests(learner => Assert.Equal(0, learner.BatchesLearnt));
    }
}
