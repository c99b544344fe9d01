namespace SaeWorkbench.Plotting;

/// <summary>
/// An object that shows itself as HTML in a notebook. The workbench's notebook runner displays such objects
/// (passed to <c>display(...)</c> or returned by a cell) as <c>text/html</c> with <see cref="ToHtmlFragment"/>.
/// </summary>
/// <remarks>
/// Fragments expect the page to include plotly.js once (<see cref="PlotlyJs.ScriptElement"/>), as the notebook
/// HTML export does; any number of fragments, including the same one twice, may share a page. A fragment that must
/// render alone is <see cref="Figure.ToHtml"/> with <see cref="PlotlyJsInclusion.Inline"/>.
/// </remarks>
public interface IHtmlDisplayable
{
    /// <summary>HTML for embedding in a page that includes plotly.js once: a <c>&lt;div&gt;</c> and a <c>&lt;script&gt;</c>.</summary>
    string ToHtmlFragment();
}
