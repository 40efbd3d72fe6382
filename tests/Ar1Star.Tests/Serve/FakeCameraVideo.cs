namespace Ar1Star.Tests.Serve;

/// <summary>
/// Writes the raw YUV4MPEG2 video Chromium's fake camera plays in a loop
/// (<c>--use-file-for-fake-video-capture</c>): 4:2:0 planes, full-range BT.601, 10 frames a second.
/// </summary>
internal static class FakeCameraVideo
{
    /// <param name="path">The .y4m file to write.</param>
    /// <param name="side">Width and height.</param>
    /// <param name="frames">Frame count (the camera loops them).</param>
    /// <param name="pixel">The RGB colour of pixel (x, y) of frame f.</param>
    public static void Write(string path, int side, int frames, Func<int, int, int, (byte R, byte G, byte B)> pixel)
    {
        using var file = new BufferedStream(File.Create(path));
        file.Write(System.Text.Encoding.ASCII.GetBytes($"YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n"));
        var y = new byte[side * side];
        var u = new byte[side * side / 4];
        var v = new byte[side * side / 4];
        for (int f = 0; f < frames; f++)
        {
            Array.Clear(u);
            Array.Clear(v);
            var uSum = new int[u.Length];
            var vSum = new int[v.Length];
            for (int row = 0; row < side; row++)
                for (int col = 0; col < side; col++)
                {
                    var (r, g, b) = pixel(col, row, f);
                    y[row * side + col] = Clamp(0.299 * r + 0.587 * g + 0.114 * b);
                    int chroma = row / 2 * (side / 2) + col / 2;
                    uSum[chroma] += Clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128);
                    vSum[chroma] += Clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128);
                }
            for (int i = 0; i < u.Length; i++)
            {
                u[i] = (byte)(uSum[i] / 4);
                v[i] = (byte)(vSum[i] / 4);
            }
            file.Write("FRAME\n"u8);
            file.Write(y);
            file.Write(u);
            file.Write(v);
        }
    }

    private static byte Clamp(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);
}
