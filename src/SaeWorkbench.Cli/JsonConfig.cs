using System.Text.Json;
using System.Text.Json.Serialization;

namespace SaeWorkbench.Cli;

/// <summary>A configuration that checks its own values (fields name themselves in the message).</summary>
public interface IValidatedConfig
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the field, its value and the allowed range.</summary>
    void Validate();
}

/// <summary>
/// Loads a JSON configuration file strictly: an unknown field, a value of the wrong type or a
/// missing required field is an error naming the file and the field (its JSON path), and the
/// loaded record's own validation runs before anything else happens.
/// </summary>
public static class JsonConfig
{
    private static readonly JsonSerializerOptions Options = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        PropertyNameCaseInsensitive = false,
        Converters = { new JsonStringEnumConverter() },
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static T Load<T>(string path) where T : class
    {
        if (Directory.Exists(path)) throw new ConfigException(path, "is a folder, not a config file: give the path of a JSON file");
        if (!File.Exists(path)) throw new ConfigException(path, "file not found: check the path (relative paths start at the current folder)");
        return Parse<T>(File.ReadAllText(path), path);
    }

    public static T Parse<T>(string json, string source) where T : class => (T)Parse(json, typeof(T), source);

    /// <summary>Parses into a type chosen at run time (e.g. an SAE config picked by architecture name).</summary>
    public static object Parse(string json, Type type, string source)
    {
        object? value;
        try
        {
            value = JsonSerializer.Deserialize(json, type, Options);
        }
        catch (JsonException e)
        {
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            throw new ConfigException(source, $"invalid {type.Name}{where}: {e.Message}", e);
        }
        if (value is null) throw new ConfigException(source, $"the file holds null, not a {type.Name} object");
        if (value is IValidatedConfig v)
        {
            try { v.Validate(); }
            catch (ArgumentException e) { throw new ConfigException(source, e.Message, e); }
        }
        return value;
    }
}

/// <summary>A configuration file that cannot be used; the message names the file and the field.</summary>
public sealed class ConfigException(string path, string message, Exception? inner = null)
    : Exception($"{path}: {message}", inner)
{
    /// <summary>The file (or other source) the configuration came from.</summary>
    public string ConfigPath { get; } = path;
}
