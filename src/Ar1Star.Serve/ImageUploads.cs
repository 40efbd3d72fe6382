using System.Globalization;
using Ar1Star.Learner;
using Microsoft.AspNetCore.Http;

namespace Ar1Star.Serve;

/// <summary>
/// Reads the multipart forms of the API into learner-sized images, refusing anything that is
/// not what was asked for with an <see cref="ApiException"/> that names the field and the file.
/// Nothing reaches the learner until the whole request has been read and checked.
/// </summary>
internal static class ImageUploads
{
    /// <exception cref="ApiException">Not a multipart form (415), or larger than allowed (413).</exception>
    public static async Task<IFormCollection> ReadFormAsync(HttpRequest request)
    {
        if (!request.HasFormContentType || request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) != true)
            throw new ApiException(415, $"expected a multipart/form-data body, got {request.ContentType ?? "no content type"}");
        try
        {
            return await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiException(413, $"request body too large: {e.Message}");
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            // FormOptions' limits (body length, sections) surface as InvalidDataException.
            throw new ApiException(413, $"request too large: {e.Message}");
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new ApiException(400, $"unreadable multipart body: {e.Message}");
        }
    }

    /// <summary>The files of <paramref name="field"/>, decoded and cut to the learner's centred square.</summary>
    /// <exception cref="ApiException">Too many files or one too large (413), one not an image (400).</exception>
    public static IReadOnlyList<LearnerImage> Images(IFormCollection form, string field, int side, UploadLimits limits)
    {
        var files = form.Files.GetFiles(field);
        if (files.Count > limits.MaxImages)
            throw new ApiException(413, $"{field}: {files.Count} files; at most {limits.MaxImages} per request");
        var images = new LearnerImage[files.Count];
        for (int i = 0; i < files.Count; i++) images[i] = Decode(files[i], $"{field}[{i}] '{files[i].FileName}'", side, limits);
        return images;
    }

    /// <summary>The single file of <paramref name="field"/>.</summary>
    public static LearnerImage Image(IFormCollection form, string field, int side, UploadLimits limits)
    {
        var files = form.Files.GetFiles(field);
        if (files.Count != 1)
            throw new ApiException(400, $"{field}: expected exactly one image file in field '{field}', got {files.Count}");
        return Decode(files[0], $"{field} '{files[0].FileName}'", side, limits);
    }

    /// <summary>An integer form field.</summary>
    public static int Integer(IFormCollection form, string field, string expected)
    {
        if (!form.TryGetValue(field, out var values) || values.Count == 0)
            throw new ApiException(400, $"{field}: missing; expected {expected}");
        return int.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ApiException(400, $"{field}: '{values[0]}' is not a number; expected {expected}");
    }

    private static LearnerImage Decode(IFormFile file, string name, int side, UploadLimits limits)
    {
        if (file.Length > limits.MaxFileBytes)
            throw new ApiException(413, $"{name} is {file.Length} bytes; at most {limits.MaxFileBytes} a file");
        if (file.Length == 0) throw new ApiException(400, $"{name} is empty; expected PNG or JPEG bytes");
        using var stream = new MemoryStream((int)file.Length);
        file.CopyTo(stream);
        try
        {
            return LearnerImage.FromEncoded(stream.GetBuffer().AsSpan(0, (int)stream.Length), name).CenterSquare(side);
        }
        catch (InvalidDataException e)
        {
            throw new ApiException(400, e.Message);
        }
    }
}
