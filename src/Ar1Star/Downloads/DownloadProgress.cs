namespace Ar1Star.Downloads;

/// <summary>How far one file's transfer is: bytes on disk so far, and the total when the server said it.</summary>
public readonly record struct DownloadProgress(string FileName, long BytesDone, long? BytesTotal);
