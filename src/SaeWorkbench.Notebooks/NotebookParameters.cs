using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SaeWorkbench.Notebooks;

/// <summary>
/// Parameters, the papermill way, so that one notebook serves CI (<c>scale = "smoke"</c>), users
/// (<c>"default"</c>) and a GPU machine (<c>"large"</c>) and still opens and runs unchanged in
/// .NET Interactive.
/// <para>The notebook declares its parameters with their defaults in one code cell tagged
/// <c>parameters</c> (cell metadata <c>"tags": ["parameters"]</c>; in VS Code or Jupyter: add the cell
/// tag), for example <c>var scale = "default";</c> and <c>int steps = 2_000;</c>. .NET Interactive
/// ignores the tag and runs the defaults.</para>
/// <para>Given values (<see cref="NotebookRunOptions.Parameters"/>, or <c>-p name=value</c> on the
/// command line), the runner first checks that every name is declared at the top level of that
/// cell, runs the cell, and then inserts right after it a code cell tagged <c>injected-parameters</c>
/// that assigns the given values (<c>scale = "smoke";</c>), converted to each variable's declared type
/// (string, bool, integer and floating-point types, decimal, enums, and their nullable forms), and
/// runs it. The executed notebook keeps that cell, so it shows which values it ran with. An old
/// <c>injected-parameters</c> cell in the input (from re-running an executed notebook) is removed first.</para>
/// </summary>
public static class NotebookParameters
{
    /// <summary>The cell tag that marks the parameters cell.</summary>
    public const string ParametersTag = "parameters";
    /// <summary>The cell tag of the cell the runner injects.</summary>
    public const string InjectedTag = "injected-parameters";

    /// <summary>The variables a parameters cell declares at its top level (locals and fields), in order.</summary>
    public static IReadOnlyList<string> DeclaredNames(string cellSource)
    {
        var tree = CSharpSyntaxTree.ParseText(cellSource, new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        var names = new List<string>();
        foreach (var member in tree.GetCompilationUnitRoot().Members)
        {
            switch (member)
            {
                case GlobalStatementSyntax { Statement: LocalDeclarationStatementSyntax local }:
                    names.AddRange(local.Declaration.Variables.Select(v => v.Identifier.ValueText));
                    break;
                case FieldDeclarationSyntax field:
                    names.AddRange(field.Declaration.Variables.Select(v => v.Identifier.ValueText));
                    break;
            }
        }
        return names;
    }

    /// <summary>
    /// Parses <c>name=value</c> pairs (as given on a command line) into a dictionary.
    /// </summary>
    /// <exception cref="ArgumentException">A pair has no '=' or an empty name, or a name repeats.</exception>
    public static Dictionary<string, string> ParseAssignments(IEnumerable<string> pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"parameter '{pair}' must be written name=value");
            var name = pair[..eq].Trim();
            if (!SyntaxFacts.IsValidIdentifier(name)) throw new ArgumentException($"parameter name '{name}' is not a C# identifier");
            if (!result.TryAdd(name, pair[(eq + 1)..])) throw new ArgumentException($"parameter '{name}' is given twice");
        }
        return result;
    }

    /// <summary>
    /// The C# statement that assigns <paramref name="value"/> to the variable <paramref name="name"/> of
    /// type <paramref name="type"/>, e.g. <c>steps = 100;</c>.
    /// </summary>
    /// <exception cref="FormatException">The text is not a value of that type; the message names the parameter, the value and the type.</exception>
    public static string Assignment(string name, Type type, string value) => $"{name} = {Literal(name, type, value)};";

    private static string Literal(string name, Type type, string value)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
            return value.Trim() == "null" ? "null" : Literal(name, underlying, value);

        FormatException Bad(string expected) =>
            new($"parameter '{name}' = '{value}' is not {expected} (the parameters cell declares it as {type.Name})");

        var inv = CultureInfo.InvariantCulture;
        var v = value.Trim();
        if (type == typeof(string) || type == typeof(object)) return SymbolDisplay.FormatLiteral(value, quote: true);
        if (type == typeof(bool))
            return bool.TryParse(v, out var b) ? (b ? "true" : "false") : throw Bad("true or false");
        if (type == typeof(char))
            return value.Length == 1 ? SymbolDisplay.FormatLiteral(value[0], quote: true) : throw Bad("a single character");
        if (type == typeof(int)) return int.TryParse(v, NumberStyles.Integer, inv, out var i) ? i.ToString(inv) : throw Bad("an integer (Int32)");
        if (type == typeof(long)) return long.TryParse(v, NumberStyles.Integer, inv, out var l) ? l.ToString(inv) + "L" : throw Bad("an integer (Int64)");
        if (type == typeof(short)) return short.TryParse(v, NumberStyles.Integer, inv, out var sh) ? $"(short){sh.ToString(inv)}" : throw Bad("an integer (Int16)");
        if (type == typeof(byte)) return byte.TryParse(v, NumberStyles.Integer, inv, out var by) ? $"(byte){by.ToString(inv)}" : throw Bad("an integer 0-255");
        if (type == typeof(uint)) return uint.TryParse(v, NumberStyles.Integer, inv, out var ui) ? ui.ToString(inv) + "U" : throw Bad("a non-negative integer (UInt32)");
        if (type == typeof(ulong)) return ulong.TryParse(v, NumberStyles.Integer, inv, out var ul) ? ul.ToString(inv) + "UL" : throw Bad("a non-negative integer (UInt64)");
        if (type == typeof(double))
            return double.TryParse(v, NumberStyles.Float, inv, out var d) ? DoubleLiteral(d, "double", "d") : throw Bad("a number");
        if (type == typeof(float))
            return float.TryParse(v, NumberStyles.Float, inv, out var f) ? DoubleLiteral(f, "float", "f") : throw Bad("a number");
        if (type == typeof(decimal))
            return decimal.TryParse(v, NumberStyles.Float, inv, out var m) ? m.ToString(inv) + "m" : throw Bad("a decimal number");
        if (type.IsEnum)
        {
            if (!Enum.TryParse(type, v, ignoreCase: true, out var e) || !Enum.IsDefined(type, e!))
                throw Bad("one of " + string.Join(", ", Enum.GetNames(type)));
            return $"{TypeName(type)}.{Enum.GetName(type, e!)}";
        }
        throw new FormatException(
            $"parameter '{name}' has type {type.Name}, which the runner cannot inject; declare it as a string, bool, number or enum");
    }

    private static string DoubleLiteral(double d, string keyword, string suffix)
    {
        if (double.IsNaN(d)) return $"{keyword}.NaN";
        if (double.IsPositiveInfinity(d)) return $"{keyword}.PositiveInfinity";
        if (double.IsNegativeInfinity(d)) return $"{keyword}.NegativeInfinity";
        var text = suffix == "f" ? ((float)d).ToString("R", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture);
        return text + suffix;
    }

    /// <summary>A C# name for <paramref name="type"/> usable in a later submission.</summary>
    private static string TypeName(Type type)
    {
        // types declared in an earlier cell are nested in a "Submission#N" class; later cells see them by their simple name
        if (type.DeclaringType is { } outer && outer.Name.StartsWith("Submission#", StringComparison.Ordinal)) return type.Name;
        var sb = new StringBuilder("global::");
        sb.Append((type.FullName ?? type.Name).Replace('+', '.'));
        return sb.ToString();
    }
}
