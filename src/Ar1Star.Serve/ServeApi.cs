using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ar1Star.Serve;

/// <summary>The JSON API under <c>/api</c> (documented in docs/server.md#the-json-api, used by the page).</summary>
internal sealed class ServeApi(LearnerHost host, UploadLimits limits, IReadOnlyDictionary<string, string> info)
{
    private const int MaxNameLength = 60;

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/status", Status);
        app.MapGet("/api/classes", () => new { classes = host.Classes });
        app.MapPut("/api/classes/{id:int}", Rename);
        app.MapPost("/api/learn", Learn);
        // docs/server.md#incoming-teach
        app.MapPost("/api/incoming", BeginIncoming);
        app.MapPost("/api/incoming/{id:int}/images", AddIncoming);
        app.MapPost("/api/incoming/{id:int}/learn", LearnIncoming);
        app.MapDelete("/api/incoming/{id:int}", (int id) =>
        {
            host.DropIncoming(id);
            return new { dropped = id };
        });
        app.MapGet("/api/jobs/{id:int}", (int id) => JobJson(host.Job(id) ?? throw new ApiException(404, $"no teach job {id} (finished jobs are kept for the last 200)")));
        app.MapPost("/api/predict", Predict);
        app.MapPost("/api/reset", async () =>
        {
            await host.ResetAsync();
            return new { reset = true };
        });
        app.MapGet("/api/export.onnx", async () => Results.File(await host.ExportOnnxAsync(), "application/octet-stream", "ar1star.onnx"));
        app.MapPost("/api/save", async () =>
        {
            int batches = await host.SaveAsync();
            return new { saved = Path.GetFullPath(host.StateDir!), batchesLearnt = batches };
        });
    }

    private object Status()
    {
        var preparation = host.Preparation;
        return new
        {
            // docs/server.md#getting-ready
            state = host.State.ToString().ToLowerInvariant(),
            activity = preparation?.Line,
            progress = preparation is { Epoch: { } epoch, Epochs: { } epochs } ? new { epoch, epochs, minutesLeft = preparation.MinutesLeft } : null,
            error = host.Failure,
            imageSize = host.ImageSize,
            numClasses = host.NumClasses,
            batchesLearnt = host.BatchesLearnt,
            stateDir = host.StateDir is null ? null : Path.GetFullPath(host.StateDir),
            jobs = host.ActiveJobs.Select(JobJson).ToArray(),
            limits = new { maxRequestBytes = limits.MaxRequestBytes, maxFileBytes = limits.MaxFileBytes, maxImages = limits.MaxImages },
            info,
        };
    }

    private async Task<object> Rename(int id, HttpRequest request)
    {
        if (!request.HasJsonContentType())
            throw new ApiException(415, $"expected an application/json body {{\"name\": \"...\"}}, got {request.ContentType ?? "no content type"}");
        NameChange? change;
        try
        {
            change = await request.ReadFromJsonAsync<NameChange>(request.HttpContext.RequestAborted);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The serializer's text names our record type and byte positions: the client needs the shape.
            throw new ApiException(400, $"name: expected a JSON body {{\"name\": \"...\"}} with a string or null{(e is JsonException { LineNumber: { } line } ? $" (unreadable at line {line + 1})" : "")}");
        }
        if (change?.Name is { Length: > MaxNameLength } name)
            throw new ApiException(400, $"name: {name.Length} characters; at most {MaxNameLength}");
        return host.Rename(id, change?.Name);
    }

    private async Task<IResult> Learn(HttpRequest request)
    {
        bool wait = Wait(request);
        host.RequireReady(); // before reading an upload it could only refuse
        var form = await ImageUploads.ReadFormAsync(request, limits);
        int label = ImageUploads.Integer(form, "label", $"a class id in 0..{host.NumClasses - 1}");
        var images = ImageUploads.Images(form, "images", host.ImageSize, limits);
        return await Answer(host.Teach(images, label), wait);
    }

    private async Task<object> BeginIncoming(HttpRequest request)
    {
        host.RequireReady();
        var form = await ImageUploads.ReadFormAsync(request, limits);
        int label = ImageUploads.Integer(form, "label", $"a class id in 0..{host.NumClasses - 1}");
        return IncomingJson(host.BeginIncoming(label));
    }

    private async Task<object> AddIncoming(int id, HttpRequest request)
    {
        var teach = host.Incoming(id); // before reading an upload it could only refuse
        var form = await ImageUploads.ReadFormAsync(request, limits);
        var images = ImageUploads.Images(form, "images", host.ImageSize, limits);
        teach.Add(images, limits.MaxImages);
        return IncomingJson(teach);
    }

    private async Task<IResult> LearnIncoming(int id, HttpRequest request)
    {
        bool wait = Wait(request);
        return await Answer(host.LearnIncoming(id), wait);
    }

    private object IncomingJson(IncomingTeach teach) => new { id = teach.Id, label = teach.Label, name = host.ClassName(teach.Label), images = teach.Images };

    /// <summary>The job at once (202) or, waiting, once it is learnt; a withdrawn or failed job is an error.</summary>
    private async Task<IResult> Answer(TeachJob job, bool wait)
    {
        if (!wait) return Results.Json(JobJson(job), statusCode: StatusCodes.Status202Accepted);
        await job.Finished;
        return job.State switch
        {
            TeachState.Done => Results.Json(JobJson(job)),
            TeachState.Cancelled => throw new ApiException(409, $"teach job {job.Id} was withdrawn (reset or shutdown) before it was learnt"),
            _ => throw new ApiException(400, job.Error ?? "the images could not be learnt"),
        };
    }

    /// <summary>?wait=true (the default) or false; anything else is refused, as ?top= is, rather than taken as true.</summary>
    private static bool Wait(HttpRequest request) => request.Query["wait"] switch
    {
        [] => true,
        ["true"] => true,
        ["false"] => false,
        var other => throw new ApiException(400, $"wait: '{string.Join(",", other.ToArray())}' is not true or false"),
    };

    private async Task<object> Predict(HttpRequest request)
    {
        int top = 3;
        if (request.Query["top"] is [var text] && (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out top) || top < 1))
            throw new ApiException(400, $"top: '{text}' is not a positive whole number");
        host.RequireReady();
        var form = await ImageUploads.ReadFormAsync(request, limits);
        var image = ImageUploads.Image(form, "image", host.ImageSize, limits);
        var scores = host.Predict([image], top)[0];
        return new { top = scores, batchesLearnt = host.BatchesLearnt };
    }

    private object JobJson(TeachJob job) => new
    {
        id = job.Id,
        label = job.Label,
        name = host.ClassName(job.Label),
        images = job.ImageCount,
        state = job.State.ToString().ToLowerInvariant(),
        epoch = job.Epochs.Done,
        epochs = job.Epochs.Total,
        batch = job.Batch,
        seconds = job.Seconds,
        error = job.Error,
    };

    private sealed record NameChange(string? Name);
}
