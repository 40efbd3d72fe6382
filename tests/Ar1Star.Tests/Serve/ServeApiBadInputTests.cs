using System.Net.Http.Headers;
using Ar1Star.Learner;
using Ar1Star.Serve;
using Ar1Star.Tests.Learner;
using static Ar1Star.Tests.Serve.ServeTestServer;

namespace Ar1Star.Tests.Serve;

/// <summary>
/// Requests a careless or hostile client sends: each gets a 4xx with a one-line message naming
/// the field, never a 500 or framework text, and the learner is as it was.
/// </summary>
public class ServeApiBadInputTests
{
    private static async Task<string> Refused(ServeTestServer server, HttpContent content, string path = "/api/learn")
    {
        using var response = await server.Client.PostAsync(path, content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"HTTP {(int)response.StatusCode}: {body}");
        return body;
    }

    private static void AssertNothingLearnt(ServeTestServer server) =>
        server.Host.OnLearnerForTests(learner => Assert.Equal((0, 0), (learner.BatchesLearnt, learner.Strategy.Memory.Count)));

    [Fact]
    public async Task RepeatedFieldsAVagueWaitAndAWrongContentTypeAreRefused()
    {
        var random = new Random(11);
        await using var server = await StartAsync();
        var png = FlatPng(1, 2, 3, random);

        var twice = LearnForm("0", [png]);
        twice.Add(new StringContent("1"), "label");
        using (var response = await server.Client.PostAsync("/api/learn", twice))
            Assert.Contains("label: given 2 times", await Error(response, 400));
        using (var response = await server.Client.PostAsync("/api/learn?wait=maybe", LearnForm("0", [png])))
            Assert.Contains("wait: 'maybe' is not true or false", await Error(response, 400));
        using (var response = await server.Client.PutAsync("/api/classes/3", new StringContent("{\"name\": \"mug\"}", new MediaTypeHeaderValue("text/plain"))))
            Assert.Contains("application/json", await Error(response, 415));
        using (var response = await server.Client.PutAsync("/api/classes/3", new StringContent("{\"name\": 7", new MediaTypeHeaderValue("application/json"))))
        {
            string message = await Error(response, 400);
            Assert.StartsWith("name: expected a JSON body", message);
            Assert.DoesNotContain("NameChange", message);
            Assert.DoesNotContain("Path: $", message);
        }
        AssertNothingLearnt(server);
    }

    /// <summary>A 1 KB file declaring 20000x20000 pixels, sent again and again: refused by its header each time.</summary>
    [Fact]
    public async Task ImagesDeclaringTooManyPixelsOrTruncatedAreRefusedAndNothingIsLearnt()
    {
        var random = new Random(12);
        await using var server = await StartAsync();
        var small = ForgedImages.Png(8, random);
        for (int i = 0; i < 10; i++)
        {
            string body = await Refused(server, LearnForm("0", [ForgedImages.PngDeclaring(small, 20000, 20000)]));
            Assert.Contains("20000x20000", body);
            Assert.Contains($"at most {LearnerImage.MaxPixels}", body);
        }
        Assert.Contains("60000x60000", await Refused(server, PredictForm(ForgedImages.PngDeclaring(small, 60000, 60000)), "/api/predict"));
        Assert.Contains("truncated image", await Refused(server, LearnForm("0", [ForgedImages.PngDeclaring(small, 64, 64)])));
        AssertNothingLearnt(server);
    }

    /// <summary>
    /// The files of a teach are decoded on every core (docs/performance.md#teach-breakdown); the
    /// refusal still names the first bad file, as when they were decoded in order, however the
    /// decodes finish.
    /// </summary>
    [Fact]
    public async Task AmongSeveralBadUploadsTheFirstIsNamed()
    {
        var random = new Random(13);
        await using var server = await StartAsync();
        var good = FlatPng(1, 2, 3, random);
        var small = ForgedImages.Png(8, random);
        for (int round = 0; round < 5; round++)
        {
            string body = await Refused(server, LearnForm("0", [good, good, ForgedImages.PngDeclaring(small, 64, 64), good, ForgedImages.PngDeclaring(small, 20000, 20000)]));
            Assert.Contains("images[2]", body);
            Assert.Contains("truncated image", body);
            Assert.DoesNotContain("20000x20000", body);
        }
        AssertNothingLearnt(server);
    }

    /// <summary>Files are read in order and only then decoded together: a file too large after a bad one does not hide it, nor one before it.</summary>
    [Fact]
    public async Task ATooLargeFileAndABadOneAreNamedInTheirOrder()
    {
        var random = new Random(14);
        await using var server = await StartAsync(limits: new UploadLimits(MaxRequestBytes: 256 << 10, MaxFileBytes: 16 << 10, MaxImages: 8));
        var good = FlatPng(1, 2, 3, random);
        var large = new byte[20 << 10];
        random.NextBytes(large);
        var bad = "GIF89a?"u8.ToArray();
        string first = await Refused(server, LearnForm("0", [good, bad, good, large]));
        Assert.Contains("images[1]", first);
        Assert.Contains("expected PNG or JPEG", first);
        string second = await Refused(server, LearnForm("0", [good, large, bad, good]));
        Assert.Contains("images[1]", second);
        Assert.Contains("at most 16384", second);
        AssertNothingLearnt(server);
    }

    /// <summary>
    /// A bounded fuzz (fixed seed, 60 requests) of the decoders and the multipart parser through the
    /// API: broken PNG and JPEG uploads under a valid label, and mutated multipart bodies whose label
    /// is outside the classes (so that even a body the mutations left whole must be refused).
    /// </summary>
    [Fact]
    public async Task MutatedUploadsAndMultipartBodiesGetA4xxAndLeaveTheLearnerUnchanged()
    {
        var random = new Random(4242);
        await using var server = await StartAsync();
        var png = ForgedImages.Png(32, random);
        var jpeg = ForgedImages.Jpeg(32, random);
        byte[] body = await LearnForm("99", [png]).ReadAsByteArrayAsync();
        for (int i = 0; i < 60; i++)
        {
            HttpContent content = (i % 3) switch
            {
                0 => LearnForm("0", [ForgedImages.Noise(random, png: i % 2 == 0)]),
                1 => LearnForm("0", [ForgedImages.Truncated(i % 2 == 0 ? png : jpeg, random.NextDouble() * 0.5)]),
                _ => Multipart(ForgedImages.Mutated(random.Next(2) == 0 ? body : ForgedImages.Truncated(body, random.NextDouble()), random)),
            };
            await Refused(server, content);
        }
        AssertNothingLearnt(server);
        Assert.Equal(0, (await server.Get("/api/status")).GetProperty("batchesLearnt").GetInt32());
    }

    /// <summary>Raw bytes sent as a multipart form with the boundary <see cref="LearnForm"/> used.</summary>
    private static ByteArrayContent Multipart(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary=\"{Boundary(bytes)}\"");
        return content;
    }

    /// <summary>The boundary as the body's first line gives it (mutations may have changed it: the parser then refuses).</summary>
    private static string Boundary(byte[] bytes)
    {
        string first = System.Text.Encoding.Latin1.GetString(bytes, 0, Math.Min(bytes.Length, 200)).Split("\r\n")[0];
        string boundary = first.StartsWith("--", StringComparison.Ordinal) ? first[2..] : "x";
        return boundary.Length is > 0 and <= 70 && boundary.All(c => c is >= ' ' and < '\x7f' and not '"') ? boundary : "x";
    }
}
