using System.Globalization;
using System.Runtime.ExceptionServices;
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
    public static async Task<IFormCollection> ReadFormAsync(HttpRequest request, UploadLimits limits)
    {
        if (!request.HasFormContentType || request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) != true)
            throw new ApiException(415, $"expected a multipart/form-data body, got {request.ContentType ?? "no content type"}");
        try
        {
            return await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limits);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            // FormOptions' limits (body length, sections) surface as InvalidDataException.
            throw TooLarge(limits);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // The framework's wording names its reader's internals; what a client can act on is the form.
            throw new ApiException(400, "unreadable multipart body; expected a multipart/form-data form with its boundary and parts whole");
        }
    }

    /// <summary>Refuses a teach of no image, as every route that teaches does.</summary>
    /// <exception cref="ApiException">No image (400).</exception>
    public static void RequireSome(IReadOnlyList<LearnerImage> images)
    {
        if (images.Count == 0) throw new ApiException(400, "images: no image given; expected one or more image files");
    }

    /// <summary>The refusal of a body over <see cref="UploadLimits.MaxRequestBytes"/>, wherever the framework noticed it.</summary>
    public static ApiException TooLarge(UploadLimits limits) =>
        new(413, $"request body too large; at most {limits.MaxRequestBytes} bytes, {limits.MaxImages} images of at most {limits.MaxFileBytes} bytes each");

    /// <summary>The files of <paramref name="field"/>, decoded and cut to the learner's centred square.</summary>
    /// <exception cref="ApiException">Too many files or one too large (413), one not an image (400).</exception>
    public static IReadOnlyList<LearnerImage> Images(IFormCollection form, string field, int side, UploadLimits limits)
    {
        var files = form.Files.GetFiles(field);
        if (files.Count > limits.MaxImages)
            throw new ApiException(413, $"{field}: {files.Count} files; at most {limits.MaxImages} per request");
        // Read in order (the files share the request's buffered body, which one thread at a time may
        // read), up to the first one refused by its size; then decoded on every core: decoding 100
        // frames on one took 17-25 ms of a teach (docs/performance.md#teach-breakdown). The refusal
        // is the first bad file's, as when each was read and decoded in turn.
        var encoded = new byte[files.Count][];
        ExceptionDispatchInfo? unread = null;
        int read = 0;
        for (; read < files.Count && unread is null; read++)
        {
            try
            {
                encoded[read] = Read(files[read], Name(field, read, files[read]), limits);
            }
            catch (ApiException e)
            {
                unread = ExceptionDispatchInfo.Capture(e);
            }
        }
        if (unread is not null) read--;
        var images = new LearnerImage[files.Count];
        var errors = new ExceptionDispatchInfo?[read];
        Parallel.For(0, read, i =>
        {
            try
            {
                images[i] = Decode(encoded[i], Name(field, i, files[i]), side);
            }
            catch (Exception e)
            {
                errors[i] = ExceptionDispatchInfo.Capture(e);
            }
        });
        errors.FirstOrDefault(e => e is not null)?.Throw();
        unread?.Throw();
        return images;
    }

    private static string Name(string field, int i, IFormFile file) => $"{field}[{i}] '{file.FileName}'";

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
        // Taking the first of several would learn under a label the client may not have meant.
        if (values.Count > 1)
            throw new ApiException(400, $"{field}: given {values.Count} times; expected it once, {expected}");
        return int.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new ApiException(400, $"{field}: '{values[0]}' is not a number; expected {expected}");
    }

    private static LearnerImage Decode(IFormFile file, string name, int side, UploadLimits limits) => Decode(Read(file, name, limits), name, side);

    /// <summary>The bytes of an uploaded file within the limits.</summary>
    /// <exception cref="ApiException">Larger than a file may be (413), or empty (400).</exception>
    private static byte[] Read(IFormFile file, string name, UploadLimits limits)
    {
        if (file.Length > limits.MaxFileBytes)
            throw new ApiException(413, $"{name} is {file.Length} bytes; at most {limits.MaxFileBytes} a file");
        if (file.Length == 0) throw new ApiException(400, $"{name} is empty; expected PNG or JPEG bytes");
        var bytes = new byte[file.Length];
        using var stream = file.OpenReadStream();
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static LearnerImage Decode(byte[] encoded, string name, int side)
    {
        try
        {
            return LearnerImage.FromEncoded(encoded, name).CenterSquare(side);
        }
        catch (InvalidDataException e)
        {
            throw new ApiException(400, e.Message);
        }
    }
}
