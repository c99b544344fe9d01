namespace SaeWorkbench.Plotting;

/// <summary>How an HTML fragment of a figure gets plotly.js.</summary>
public enum PlotlyJsInclusion
{
    /// <summary>
    /// The fragment carries plotly.js (about 4.8 MB), loaded only if the page has none yet: it renders anywhere,
    /// alone (e.g. as a .NET Interactive output).
    /// </summary>
    Inline,

    /// <summary>
    /// The page includes plotly.js once, with <see cref="PlotlyJs.ScriptElement"/> (in <c>&lt;head&gt;</c>, or
    /// anywhere before the page's load event); the fragment is then only a <c>&lt;div&gt;</c> and a short script.
    /// </summary>
    PageScript,
}
