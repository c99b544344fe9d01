using TorchSharp;
using static TorchSharp.torch;
using SaeWorkbench.Engine;

namespace SaeWorkbench.IO;

/// <summary>
/// Tensors to and from safetensors files (Hugging Face's format: a JSON header of names, dtypes, shapes and byte
/// offsets, then the raw little-endian data). TorchSharp has no safetensors reader, so this is the workbench's own:
/// the header is validated strictly by <see cref="SafeTensorsFile"/> before anything is allocated, and writes are
/// atomic (<see cref="SafeTensorsWriter"/>).
/// </summary>
public static class SafeTensors
{
    /// <summary>The safetensors dtype name for a tensor dtype (F32, BF16, I64...).</summary>
    public static SafeTensorDType ToSafeTensorDType(ScalarType t) => t switch
    {
        ScalarType.Float64 => SafeTensorDType.F64,
        ScalarType.Float32 => SafeTensorDType.F32,
        ScalarType.Float16 => SafeTensorDType.F16,
        ScalarType.BFloat16 => SafeTensorDType.BF16,
        ScalarType.Int64 => SafeTensorDType.I64,
        ScalarType.Int32 => SafeTensorDType.I32,
        ScalarType.Int16 => SafeTensorDType.I16,
        ScalarType.Int8 => SafeTensorDType.I8,
        ScalarType.Byte => SafeTensorDType.U8,
        ScalarType.Bool => SafeTensorDType.BOOL,
        _ => throw new ArgumentException($"dtype {t} has no safetensors equivalent"),
    };

    /// <summary>The tensor dtype for a safetensors dtype; unsigned 16/32/64-bit and FP8 have none in libtorch.</summary>
    public static ScalarType FromSafeTensorDType(SafeTensorDType t, string context) => t switch
    {
        SafeTensorDType.F64 => ScalarType.Float64,
        SafeTensorDType.F32 => ScalarType.Float32,
        SafeTensorDType.F16 => ScalarType.Float16,
        SafeTensorDType.BF16 => ScalarType.BFloat16,
        SafeTensorDType.I64 => ScalarType.Int64,
        SafeTensorDType.I32 => ScalarType.Int32,
        SafeTensorDType.I16 => ScalarType.Int16,
        SafeTensorDType.I8 => ScalarType.Int8,
        SafeTensorDType.U8 => ScalarType.Byte,
        SafeTensorDType.BOOL => ScalarType.Bool,
        _ => throw new SafeTensorsException($"{context}: dtype {SafeTensorDTypes.ToName(t)} cannot be loaded as a tensor " +
                                            "(libtorch has no such type); convert the file with another tool first"),
    };

    /// <summary>
    /// Writes tensors (any device, any layout) to a safetensors file, atomically: a temporary
    /// file in the same folder is flushed and renamed over <paramref name="path"/>, so an
    /// existing file is never left half-written.
    /// </summary>
    public static void Save(IEnumerable<KeyValuePair<string, Tensor>> tensors, string path,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = tensors.Select(kv =>
        {
            var t = kv.Value;
            var bytes = checked(t.numel() * t.element_size());
            return new SafeTensorToWrite(kv.Key, ToSafeTensorDType(t.dtype), t.shape, bytes, stream => WriteTensorBytes(t, stream));
        }).ToList();
        SafeTensorsWriter.Write(path, entries, metadata);
    }

    private static unsafe void WriteTensorBytes(Tensor t, Stream stream)
    {
        using var scope = NewDisposeScope();
        var host = t.detach().cpu().contiguous();
        var total = checked(host.numel() * host.element_size());
        var data = (byte*)TensorMemory.Address(host);
        const int chunk = 1 << 28;
        for (long done = 0; done < total; done += chunk)
            stream.Write(new ReadOnlySpan<byte>(data + done, (int)Math.Min(chunk, total - done)));
    }

    /// <summary>
    /// Loads every tensor of a safetensors file (validated strictly: a corrupt or hostile file
    /// gives a <see cref="SafeTensorsException"/> naming the file, never a crash). The returned
    /// tensors belong to the current dispose scope, if any.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null)
    {
        using var file = SafeTensorsFile.Open(path);
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var e in file.Entries) result[e.Name] = ReadEntry(file, e, device);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>Loads one named tensor from an open safetensors file.</summary>
    public static Tensor LoadOne(SafeTensorsFile file, string name, Device? device = null) => ReadEntry(file, file[name], device);

    private static Tensor ReadEntry(SafeTensorsFile file, SafeTensorEntry e, Device? device)
    {
        var dtype = FromSafeTensorDType(e.DType, $"'{file.Path}', tensor '{e.Name}'");
        var t = empty(e.Shape, dtype: dtype);
        try
        {
            file.ReadInto(e.Name, TensorMemory.Address(t), e.ByteLength);
            if (device is { type: not DeviceType.CPU } d)
            {
                var moved = t.to(d);
                t.Dispose();
                t = moved;
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }
}
