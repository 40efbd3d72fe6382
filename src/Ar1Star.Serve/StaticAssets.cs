using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ar1Star.Serve;

/// <summary>The page: index.html, app.js and app.css, embedded in this assembly.</summary>
internal static class StaticAssets
{
    private static readonly (string Route, string Resource, string ContentType)[] Files =
    [
        ("/", "wwwroot/index.html", "text/html; charset=utf-8"),
        ("/app.js", "wwwroot/app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "wwwroot/app.css", "text/css; charset=utf-8"),
    ];

    public static void Map(WebApplication app)
    {
        foreach (var (route, resource, contentType) in Files)
        {
            byte[] content = Read(resource);
            app.MapGet(route, (HttpResponse response) =>
            {
                response.Headers.CacheControl = "no-cache";
                return Results.Bytes(content, contentType);
            });
        }
    }

    private static byte[] Read(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"resource {resource} is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
