using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Ar1Star.Data;
using Ar1Star.Data.Core50;
using Ar1Star.Learner;
using Ar1Star.Model;
using Ar1Star.Serve;
using Ar1Star.Tests.Experiment;

namespace Ar1Star.Tests.Serve;

/// <summary>A real Kestrel on 127.0.0.1 (a free port) over a small learner, and a client for it.</summary>
internal sealed class ServeTestServer : IAsyncDisposable
{
    private ServeTestServer(ServeServer server)
    {
        Server = server;
        Client = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromMinutes(5) };
    }

    public ServeServer Server { get; }
    public HttpClient Client { get; }
    public LearnerHost Host => Server.Host;

    /// <summary>
    /// 32x32 images, six classes, a few epochs, the real-time preset's split (only the output
    /// layer trains, as <c>ar1 serve</c> does by default): learns in a moment on a CPU.
    /// </summary>
    public static LearnerOptions TinyOptions => new()
    {
        Config = TinyScenario.Config with
        {
            InitTrainEp = 4,
            IncTrainEp = 4,
            LatentLayerNum = LearnerPresets.Realtime.LatentLayerNum,
            FreezeBelowLayer = LearnerPresets.Realtime.FreezeBelowLayer,
        },
        ImageSize = 32,
    };

    /// <summary>Listens, and returns once the learner is ready (its preparation's exception if it failed).</summary>
    public static async Task<ServeTestServer> StartAsync(string? stateDir = null, UploadLimits? limits = null, LearnerOptions? options = null)
    {
        var server = await StartPreparingAsync(LearnerHost.Open(options ?? TinyOptions, stateDir), limits);
        try
        {
            await server.Host.Ready;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Listens over <paramref name="host"/> as it is, preparing or not, as <c>ar1 serve</c> does.</summary>
    public static async Task<ServeTestServer> StartPreparingAsync(LearnerHost host, UploadLimits? limits = null) =>
        new(await ServeServer.StartAsync(host, "127.0.0.1", 0, limits ?? UploadLimits.Default));

    /// <summary>A flat colour with a little noise, as a PNG file of <paramref name="side"/> x <paramref name="side"/>.</summary>
    public static byte[] FlatPng(byte r, byte g, byte b, Random random, int side = 32)
    {
        var rgb = new byte[side * side * 3];
        for (int i = 0; i < rgb.Length; i += 3)
        {
            rgb[i] = (byte)Math.Clamp(r + random.Next(-10, 11), 0, 255);
            rgb[i + 1] = (byte)Math.Clamp(g + random.Next(-10, 11), 0, 255);
            rgb[i + 2] = (byte)Math.Clamp(b + random.Next(-10, 11), 0, 255);
        }
        return PngCodec.Encode(rgb, side);
    }

    public static readonly (byte R, byte G, byte B) Red = (230, 20, 20), Blue = (20, 20, 230);

    /// <summary><paramref name="count"/> <see cref="FlatPng"/> frames of one colour.</summary>
    public static byte[][] Frames((byte R, byte G, byte B) colour, int count, Random random) =>
        Enumerable.Range(0, count).Select(_ => FlatPng(colour.R, colour.G, colour.B, random)).ToArray();

    /// <summary>Random weights separate flat colours once their BRN statistics fit them (as in the facade's test): 8 red and 8 blue frames.</summary>
    public static void FitStatistics(LearnerHost host, Random random) => host.OnLearnerForTests(learner =>
    {
        var images = Frames(Red, 8, random).Concat(Frames(Blue, 8, random)).Select(b => LearnerImage.FromEncoded(b)).ToArray();
        BatchRenormCalibration.Recalibrate(learner.Model, new InMemoryPatternSet(images.SelectMany(i => i.Rgb).ToArray(), new int[16], 32), 16, TorchSharp.torch.CPU);
    });

    public static MultipartFormDataContent LearnForm(string label, IEnumerable<byte[]> files, string fileName = "frame.png")
    {
        var form = new MultipartFormDataContent { { new StringContent(label), "label" } };
        int i = 0;
        foreach (var bytes in files) form.Add(File(bytes), "images", $"{i++}-{fileName}");
        return form;
    }

    public static MultipartFormDataContent PredictForm(byte[] image) => new() { { File(image), "image", "query.png" } };

    public async Task<JsonElement> Learn(int label, IEnumerable<byte[]> files)
    {
        using var response = await Client.PostAsync("/api/learn", LearnForm(label.ToString(), files));
        return await Ok(response);
    }

    public async Task<JsonElement> Predict(byte[] image, int? top = null)
    {
        using var response = await Client.PostAsync(top is null ? "/api/predict" : $"/api/predict?top={top}", PredictForm(image));
        return await Ok(response);
    }

    public async Task<JsonElement> Get(string path) => await Ok(await Client.GetAsync(path));

    /// <summary>The body of a 2xx answer (the test fails with the error otherwise).</summary>
    public static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"HTTP {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts a JSON error with this status and returns its message.</summary>
    public static async Task<string> Error(HttpResponseMessage response, int status)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.GetProperty("error").GetString()!;
    }

    private static ByteArrayContent File(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
