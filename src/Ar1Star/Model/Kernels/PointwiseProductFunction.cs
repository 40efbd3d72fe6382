using static TorchSharp.torch;

namespace Ar1Star.Model.Kernels;

/// <summary>
/// The product of a 1x1 convolution, rows [R, C] times the weight [O, C, 1, 1] transposed, by
/// <see cref="MatrixProductKernel"/> as one autograd node: its backward computes
/// dX = dY W and dW = dY^T X with the same kernel, each only where the graph wants it.
/// Float32 CPU tensors only (<see cref="Applies"/>).
/// </summary>
internal sealed class PointwiseProductFunction : autograd.SingleTensorFunction<PointwiseProductFunction>
{
    private const string Wanted = "wanted";

    public override string Name => "PointwiseProduct";

    /// <summary>
    /// Whether the kernel computes rows times weight (plus a bias, where no gradient is wanted):
    /// every tensor float32 on the CPU, whatever the number of rows. Each output row is the same
    /// chain of multiply-adds however many rows share the call, so a pattern's latents and logits
    /// do not depend on how a set is chunked (cached or not, docs/algorithm.md#work-skipped); a
    /// row threshold sending small calls to MKL broke that (docs/cpus.md#matrix-product).
    /// </summary>
    public static bool Applies(Tensor rows, Tensor weight, Tensor? bias) =>
        IsCpuFloat(rows) && IsCpuFloat(weight) && (bias is null || IsCpuFloat(bias) && !Graph(rows, weight, bias));

    /// <summary>
    /// rows [R, C] times <paramref name="weight"/> [O, C, 1, 1] transposed (+ <paramref name="bias"/> [O]):
    /// an autograd node where a gradient is wanted (no bias then), a plain product otherwise.
    /// </summary>
    public static Tensor Forward(Tensor rows, Tensor weight, Tensor? bias)
    {
        bool graph = Graph(rows, weight, bias);
        if (graph && bias is not null) throw new ArgumentException("the pointwise product takes a bias only without gradients (the folded eval stack)", nameof(bias));
        return graph ? apply(rows, weight) : Product(rows, false, weight, true, bias);
    }

    internal static bool Graph(Tensor rows, Tensor weight, Tensor? bias) =>
        is_grad_enabled() && (rows.requires_grad || weight.requires_grad || bias is { requires_grad: true });

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var rows = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        ctx.save_for_backward([rows, weight]);
        ctx.save_data(Wanted, (rows.requires_grad, weight.requires_grad));
        return Product(rows, false, weight, true, null);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (rows, weight) = (saved[0], saved[1]);
        var (rowsWanted, weightWanted) = ((bool, bool))ctx.get_data(Wanted);
        Tensor? dx = rowsWanted ? Product(gradOutput, false, weight, false, null) : null;
        Tensor? dw = null;
        if (weightWanted)
        {
            using var flat = Product(gradOutput, true, rows, false, null);
            dw = flat.view(weight.shape);
        }
        return [dx!, dw!];
    }

    /// <summary>
    /// op(a) op(b) (+ bias per column) into a new [rows, columns] tensor, op transposing where
    /// asked; a [O, C, 1, 1] weight is read as its [O, C] matrix; clamped at 0 in the same pass
    /// where <paramref name="relu"/> is set. Also the bench's own product.
    /// </summary>
    internal static Tensor Product(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor? bias, bool relu = false)
    {
        using var ac = a.contiguous();
        using var bc = b.contiguous();
        using var bb = bias?.contiguous();
        unsafe
        {
            var va = View(ac, transposeA);
            var vb = View(bc, transposeB);
            var c = empty([va.Rows, vb.Columns], dtype: ScalarType.Float32, device: a.device);
            MatrixProductKernel.Multiply(va, vb, TensorMemory.Floats(c), bb is null ? null : TensorMemory.Floats(bb), relu);
            return c;
        }
    }

    /// <summary>
    /// rows [R, C] times a weight packed beforehand (<see cref="PackWeight"/>) plus <paramref name="bias"/>
    /// [O], no graph: the bits of <see cref="Product(Tensor, bool, Tensor, bool, Tensor?, bool)"/> on the weight itself.
    /// </summary>
    internal static Tensor Product(Tensor rows, PackedMatrix weight, Tensor? bias, bool relu = false)
    {
        using var ac = rows.contiguous();
        using var bb = bias?.contiguous();
        unsafe
        {
            var c = empty([ac.shape[0], weight.Columns], dtype: ScalarType.Float32, device: rows.device);
            MatrixProductKernel.Multiply(View(ac, false), weight, TensorMemory.Floats(c), bb is null ? null : TensorMemory.Floats(bb), relu);
            return c;
        }
    }

    /// <summary>A 1x1 layer's weight [O, C, 1, 1] (float32 on the CPU) packed as the B of its forward, W^T.</summary>
    internal static PackedMatrix PackWeight(Tensor weight)
    {
        using var wc = weight.contiguous();
        return MatrixProductKernel.Pack(View(wc, transpose: true));
    }

    private static unsafe MatrixView View(Tensor matrix, bool transpose)
    {
        var view = MatrixView.RowMajor(TensorMemory.Floats(matrix), matrix.shape[0], matrix.numel() / Math.Max(1, matrix.shape[0]));
        return transpose ? view.Transposed : view;
    }

    private static bool IsCpuFloat(Tensor t) => t.device_type == TorchSharp.DeviceType.CPU && t.dtype == ScalarType.Float32;
}
