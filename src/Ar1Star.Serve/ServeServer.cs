using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ar1Star.Serve;

/// <summary>
/// <c>ar1 serve</c>'s web application on Kestrel: the page (embedded static files) and the JSON
/// API it uses, over a <see cref="LearnerHost"/>. Every error, the framework's own included
/// (unknown path, wrong method, oversized body), is answered as <c>{"error": "..."}</c>.
/// </summary>
public sealed class ServeServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private ServeServer(WebApplication app, LearnerHost host, Uri url)
    {
        this.app = app;
        Host = host;
        Url = url;
    }

    public LearnerHost Host { get; }

    /// <summary>The address it listens on (the real port when asked for port 0).</summary>
    public Uri Url { get; }

    /// <summary>Starts listening on <paramref name="address"/>:<paramref name="port"/> (0: a free port).</summary>
    /// <param name="info">Facts the page shows (preset, weights), as name and value.</param>
    public static async Task<ServeServer> StartAsync(LearnerHost host, string address, int port, UploadLimits limits,
        IReadOnlyDictionary<string, string>? info = null)
    {
        CheckEndpoint(address, port);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBytes;
            if (address == "localhost") kestrel.ListenLocalhost(port);
            else kestrel.Listen(IPAddress.Parse(address), port);
        });
        builder.Services.Configure<FormOptions>(form =>
        {
            form.MultipartBodyLengthLimit = limits.MaxRequestBytes;
            form.ValueCountLimit = limits.MaxImages + 16;
        });
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);
        var app = builder.Build();
        app.UseStatusCodePages(ErrorForBareStatus);
        app.Use((context, next) => AnswerApiExceptions(context, next, limits));
        StaticAssets.Map(app);
        new ServeApi(host, limits, info ?? new Dictionary<string, string>()).Map(app);
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new ServeServer(app, host, new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>
    /// Checks what <see cref="StartAsync"/> will listen on, for callers to call before they build
    /// the learner (with the built-in pretraining, minutes of work a bad port would waste).
    /// </summary>
    /// <exception cref="ArgumentException">The address is neither an IP address nor localhost, or the port is out of range.</exception>
    public static void CheckEndpoint(string address, int port)
    {
        if (address != "localhost" && !IPAddress.TryParse(address, out _))
            throw new ArgumentException($"--host: '{address}' is not an IP address or localhost");
        if (port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
            throw new ArgumentException($"--port: expected 0 (any free port) to {IPEndPoint.MaxPort}, got {port}");
    }

    /// <summary>Completes when the application is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => app.WaitForShutdownAsync();

    private static async Task AnswerApiExceptions(HttpContext context, RequestDelegate next, UploadLimits limits)
    {
        try
        {
            await next(context);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await WriteError(context, e.Status, e.Message);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted && e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var tooLarge = ImageUploads.TooLarge(limits);
            await WriteError(context, tooLarge.Status, tooLarge.Message);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await WriteError(context, e.StatusCode, e.Message);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            await WriteError(context, 500, $"internal error: {e.Message}");
        }
    }

    private static Task ErrorForBareStatus(StatusCodeContext status)
    {
        var context = status.HttpContext;
        string message = context.Response.StatusCode switch
        {
            404 => $"no such resource: {context.Request.Method} {context.Request.Path}",
            405 => $"{context.Request.Method} is not allowed on {context.Request.Path}",
            413 => "request body too large",
            _ => $"HTTP {context.Response.StatusCode}",
        };
        return WriteError(context, context.Response.StatusCode, message);
    }

    internal static Task WriteError(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = message });
    }

    /// <summary>Stops listening (requests in flight finish), then the learner host saves and shuts down.</summary>
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        await Host.DisposeAsync();
    }
}
