using System.Globalization;

namespace SaeWorkbench.Saes;

/// <summary>
/// The one number that sets an architecture's sparsity: k, the active latents per token of the TopK family (Gao et al.
/// 2024, §2.3; Bussmann et al. 2024), or the coefficient lambda of a sparsity penalty (L1 for ReLU and Gated SAEs,
/// Rajamanoharan et al. 2024a, §3; L0 for JumpReLU, Rajamanoharan et al. 2024b, §3). A sweep of it traces an
/// architecture's sparsity-fidelity frontier.
/// </summary>
/// <param name="Name">What the papers call it: "k", "L1 coefficient", "L0 coefficient".</param>
/// <param name="RunNamePart">Its prefix in run names, e.g. "k" in "topk-n1024-k16", "l1_" in "relu-n1024-l1_0.1".</param>
/// <param name="IsK">True for k (an integer count of latents), false for a penalty coefficient.</param>
/// <param name="Get">Reads the knob from a config of the architecture.</param>
/// <param name="Set">A copy of a config of the architecture with the knob set.</param>
public sealed record SparsityKnob(string Name, string RunNamePart, bool IsK, Func<SaeConfig, double> Get, Func<SaeConfig, double, SaeConfig> Set)
{
    /// <summary>The value as run names and labels write it: k as an integer, lambda with 3 significant digits.</summary>
    public string Format(double value) =>
        IsK ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>Checks a value for this knob: k a whole number >= 1, lambda finite and > 0.</summary>
    public bool IsValid(double value) => IsK ? value >= 1 && value == Math.Floor(value) && value <= long.MaxValue : value > 0 && double.IsFinite(value);
}
