using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SaeWorkbench.IO;

/// <summary>
/// A safetensors file opened for reading. <see cref="Open(string)"/> reads, parses and validates the header; the file
/// handle stays open until <see cref="Dispose"/> so tensors can be read one at a time.
/// </summary>
/// <remarks>
/// Reads are positional (<see cref="RandomAccess"/>), so <c>ReadInto</c>/<c>ReadBytes</c> may be called from several
/// threads at once. The file is opened with <see cref="FileShare.Read"/> | <see cref="FileShare.Delete"/>: an atomic
/// replacement by <see cref="SafeTensorsWriter"/> does not disturb an already open reader (it keeps reading the old file).
/// </remarks>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafeTensorEntry> _byName;

    private SafeTensorsFile(string path, SafeFileHandle handle, long fileLength, long dataOffset, SafeTensorsHeader header)
    {
        Path = path;
        _handle = handle;
        FileLength = fileLength;
        DataOffset = dataOffset;
        Entries = header.Entries;
        Metadata = header.Metadata;
        _byName = new Dictionary<string, SafeTensorEntry>(header.Entries.Count, StringComparer.Ordinal);
        foreach (var e in header.Entries)
            _byName.Add(e.Name, e);
    }

    /// <summary>Opens and validates a safetensors file, with the default header size limit
    /// (<see cref="SafeTensorsHeader.MaxHeaderBytes"/>).</summary>
    /// <exception cref="SafeTensorsException">The file is not a valid safetensors file.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist (other I/O exceptions propagate unchanged).</exception>
    public static SafeTensorsFile Open(string path) => Open(path, SafeTensorsHeader.MaxHeaderBytes);

    /// <summary>Opens and validates a safetensors file, rejecting headers longer than <paramref name="maxHeaderBytes"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxHeaderBytes">Header size limit, 1 to <see cref="SafeTensorsHeader.MaxHeaderBytes"/>.</param>
    public static SafeTensorsFile Open(string path, long maxHeaderBytes)
    {
        SafeTensorsHeader.EnsureLittleEndian();
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeaderBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxHeaderBytes, SafeTensorsHeader.MaxHeaderBytes);

        var fullPath = System.IO.Path.GetFullPath(path);
        var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
            FileOptions.RandomAccess);
        try
        {
            var fileLength = RandomAccess.GetLength(handle);
            if (fileLength < 8)
                throw SafeTensorsException.ForFile(fullPath,
                    $"the file is too short ({fileLength} bytes); a safetensors file starts with an 8-byte header length. " +
                    "The file is truncated or not a safetensors file.");

            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(handle, prefix, 0, fullPath, "the header length");
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);

            if (headerLength == 0)
                throw SafeTensorsException.ForFile(fullPath,
                    "the header length is 0; a safetensors header must be a non-empty JSON object. The file is not a valid safetensors file.");
            if (headerLength > (ulong)maxHeaderBytes)
                throw SafeTensorsException.ForFile(fullPath,
                    $"the header length {headerLength} exceeds the maximum header size of {maxHeaderBytes} bytes. " +
                    "The file is corrupt or not a safetensors file.");
            if (headerLength > (ulong)(fileLength - 8))
                throw SafeTensorsException.ForFile(fullPath,
                    $"the header length {headerLength} extends beyond the end of the file ({fileLength} bytes): the file is truncated " +
                    "or not a safetensors file.");

            // Validated: 0 < headerLength <= min(maxHeaderBytes, fileLength - 8).
            var headerBytes = new byte[(int)headerLength];
            ReadExactly(handle, headerBytes, 8, fullPath, "the header");
            var dataOffset = 8 + (long)headerLength;
            var header = SafeTensorsHeader.Parse(headerBytes, fileLength - dataOffset, fullPath);
            return new SafeTensorsFile(fullPath, handle, fileLength, dataOffset, header);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Length of the file in bytes when it was opened.</summary>
    public long FileLength { get; }

    /// <summary>Absolute file offset of the data region (8 + header length); an entry's bytes start at
    /// <c>DataOffset + entry.Begin</c>.</summary>
    public long DataOffset { get; }

    /// <summary>Entries in file order (sorted by <see cref="SafeTensorEntry.Begin"/>).</summary>
    public IReadOnlyList<SafeTensorEntry> Entries { get; }

    /// <summary>The header's <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Whether the file has a tensor with exactly this name (ordinal comparison).</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Looks up an entry by name without throwing.</summary>
    public bool TryGetEntry(string name, [MaybeNullWhen(false)] out SafeTensorEntry entry) =>
        _byName.TryGetValue(name, out entry);

    /// <summary>The entry with this name.</summary>
    /// <exception cref="SafeTensorsException">No such tensor; the message names the file and lists available names.</exception>
    public SafeTensorEntry this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            if (_byName.TryGetValue(name, out var e))
                return e;
            throw SafeTensorsException.ForFile(Path, MissingTensorMessage(name));
        }
    }

    /// <summary>Reads the raw (little-endian) bytes of one tensor into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length differs from the entry's ByteLength.</exception>
    /// <exception cref="SafeTensorsException">No such tensor, or the file ended early ("truncated").</exception>
    public void ReadInto(string name, Span<byte> destination) => ReadInto(this[name], destination);

    /// <summary>Reads the raw bytes of <paramref name="entry"/>, which must be one of this file's <see cref="Entries"/>.</summary>
    public void ReadInto(SafeTensorEntry entry, Span<byte> destination)
    {
        CheckOwnEntry(entry);
        if (destination.Length != entry.ByteLength)
            throw new ArgumentException(
                $"Destination has {destination.Length} bytes but tensor '{entry.Name}' ({SafeTensorDTypes.ToName(entry.DType)}" +
                $"{entry.ShapeString}) in '{Path}' has {entry.ByteLength} bytes.", nameof(destination));
        ReadExactly(_handle, destination, DataOffset + entry.Begin, Path, $"tensor '{entry.Name}'");
    }

    /// <summary>
    /// Reads the raw bytes of one tensor into unmanaged memory (for example a tensor's storage), which may be larger than
    /// 2 GiB. <paramref name="destination"/> must point to <paramref name="destinationLength"/> writable bytes.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destinationLength"/> differs from the entry's ByteLength.</exception>
    public unsafe void ReadInto(string name, nint destination, long destinationLength)
    {
        var entry = this[name];
        if (destinationLength != entry.ByteLength)
            throw new ArgumentException(
                $"Destination has {destinationLength} bytes but tensor '{entry.Name}' ({SafeTensorDTypes.ToName(entry.DType)}" +
                $"{entry.ShapeString}) in '{Path}' has {entry.ByteLength} bytes.", nameof(destinationLength));
        if (destinationLength > 0 && destination == 0)
            throw new ArgumentNullException(nameof(destination));
        const int chunk = 1 << 30;
        long done = 0;
        while (done < destinationLength)
        {
            var n = (int)Math.Min(chunk, destinationLength - done);
            var span = new Span<byte>((byte*)destination + done, n);
            ReadExactly(_handle, span, DataOffset + entry.Begin + done, Path, $"tensor '{entry.Name}'");
            done += n;
        }
    }

    /// <summary>Reads the raw bytes of one tensor into a new array.</summary>
    /// <exception cref="SafeTensorsException">No such tensor, the tensor is larger than a managed array can hold, or
    /// the file is truncated.</exception>
    public byte[] ReadBytes(string name)
    {
        var entry = this[name];
        if (entry.ByteLength > Array.MaxLength)
            throw SafeTensorsException.ForFile(Path,
                $"tensor '{entry.Name}' has {entry.ByteLength} bytes, too many for a managed byte array; " +
                "use ReadInto(name, nint destination, long length) to read it into unmanaged memory.");
        var bytes = GC.AllocateUninitializedArray<byte>((int)entry.ByteLength);
        ReadInto(entry, bytes);
        return bytes;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    public override string ToString() => $"SafeTensorsFile({Path}, {Entries.Count} tensors)";

    private void CheckOwnEntry(SafeTensorEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (!_byName.TryGetValue(entry.Name, out var own) || !own.Equals(entry))
            throw new ArgumentException($"Entry '{entry.Name}' does not belong to safetensors file '{Path}'.", nameof(entry));
    }

    private string MissingTensorMessage(string name)
    {
        var sb = new StringBuilder();
        sb.Append($"no tensor named '{SafeTensorDTypes.Truncate(name, 200)}'.");
        var similar = Entries
            .Select(e => e.Name)
            .Where(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)
                        || n.EndsWith("." + name, StringComparison.Ordinal)
                        || name.EndsWith("." + n, StringComparison.Ordinal))
            .Take(5)
            .ToList();
        if (similar.Count > 0)
            sb.Append(" Did you mean ").Append(string.Join(", ", similar.Select(n => $"'{n}'"))).Append('?');
        if (Entries.Count == 0)
        {
            sb.Append(" The file contains no tensors.");
        }
        else
        {
            const int shown = 10;
            sb.Append($" The file has {Entries.Count} tensor(s): ");
            sb.Append(string.Join(", ", Entries.Take(shown).Select(e => $"'{SafeTensorDTypes.Truncate(e.Name, 100)}'")));
            if (Entries.Count > shown)
                sb.Append($", … and {Entries.Count - shown} more");
            sb.Append('.');
        }
        return sb.ToString();
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long fileOffset, string path, string what)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var n = RandomAccess.Read(handle, destination[done..], fileOffset + done);
            if (n <= 0)
                throw SafeTensorsException.ForFile(path,
                    $"the file is truncated: unexpected end of file while reading {what} " +
                    $"(needed {destination.Length} bytes at offset {fileOffset}, got {done}). Re-download or re-save the file.");
            done += n;
        }
    }
}

/// <summary>
/// One tensor to write with <see cref="SafeTensorsWriter.Write"/>. Either the bytes are given as <see cref="Data"/>
/// (the positional constructor), or they are produced by a callback (the constructor taking
/// <c>byteLength</c> and <c>writeData</c>) so that large tensors need not be copied into a managed array first.
/// </summary>
/// <param name="Name">Tensor name; non-empty, not <c>__metadata__</c>, unique within the file.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions (non-negative); <c>[]</c> for a scalar.</param>
/// <param name="Data">Raw little-endian bytes; length must be product(Shape) × element size. Empty (and ignored) when
/// <see cref="WriteData"/> is set.</param>
public sealed record SafeTensorToWrite(string Name, SafeTensorDType DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    private readonly long _declaredByteLength;

    /// <summary>
    /// A tensor whose bytes are streamed by <paramref name="writeData"/>. The callback receives a write-only,
    /// non-seekable stream positioned at the tensor's data; it must write exactly <paramref name="byteLength"/> bytes
    /// (raw little-endian) — writing more throws immediately, writing fewer makes the write fail after the callback
    /// returns. The stream must not be used after the callback returns; disposing it is allowed and does not close the file.
    /// If the callback throws, the write is abandoned (the temporary file is deleted, an existing file is untouched)
    /// and the exception propagates unchanged.
    /// </summary>
    public SafeTensorToWrite(string name, SafeTensorDType dtype, long[] shape, long byteLength, Action<Stream> writeData)
        : this(name, dtype, shape, ReadOnlyMemory<byte>.Empty)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        ArgumentOutOfRangeException.ThrowIfNegative(byteLength);
        _declaredByteLength = byteLength;
        WriteData = writeData;
    }

    /// <summary>Callback producing the bytes, or null when <see cref="Data"/> holds them.</summary>
    public Action<Stream>? WriteData { get; }

    /// <summary>Number of data bytes: <c>Data.Length</c>, or the declared length for a callback tensor.</summary>
    public long ByteLength => WriteData is null ? Data.Length : _declaredByteLength;
}

/// <summary>Writes safetensors files atomically.</summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (in the given order, contiguous offsets starting at 0) and optional
    /// <paramref name="metadata"/> to <paramref name="path"/>. The header is compact JSON with <c>__metadata__</c> first,
    /// padded with spaces to a multiple of 8 bytes.
    /// </summary>
    /// <remarks>
    /// All inputs are validated before anything is written. The file is written to <c>path + ".tmp-&lt;random&gt;"</c> in
    /// the same directory, flushed to disk, then renamed over <paramref name="path"/>. On any failure the temporary file
    /// is deleted and an existing file at <paramref name="path"/> is left untouched. Exceptions thrown by a
    /// <see cref="SafeTensorToWrite.WriteData"/> callback, and I/O exceptions, propagate unchanged.
    /// </remarks>
    /// <exception cref="SafeTensorsException">Invalid tensors (empty/duplicate names, shape and byte count mismatch,
    /// negative dimensions, overflow), null metadata values, or a callback that wrote the wrong number of bytes.</exception>
    public static void Write(string path, IEnumerable<SafeTensorToWrite> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        SafeTensorsHeader.EnsureLittleEndian();
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var fullPath = Path.GetFullPath(path);

        var items = tensors.ToList();
        var entries = new List<SafeTensorEntry>(items.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        long offset = 0;
        for (var i = 0; i < items.Count; i++)
        {
            var t = items[i] ?? throw SafeTensorsException.ForFile(fullPath, $"cannot write: tensor #{i} is null.");
            var entry = Validate(fullPath, t, i, offset);
            if (!names.Add(entry.Name))
                throw SafeTensorsException.ForFile(fullPath,
                    $"cannot write: duplicate tensor name '{SafeTensorDTypes.Truncate(entry.Name, 200)}'; names must be unique.");
            entries.Add(entry);
            offset = entry.End;
        }

        if (metadata is not null)
        {
            foreach (var (k, v) in metadata)
            {
                if (k is null || !IsValidUtf16(k))
                    throw SafeTensorsException.ForFile(fullPath, "cannot write: a metadata key is null or not valid UTF-16.");
                if (v is null)
                    throw SafeTensorsException.ForFile(fullPath,
                        $"cannot write: metadata value for key '{SafeTensorDTypes.Truncate(k, 200)}' is null; metadata values must be strings.");
                if (!IsValidUtf16(v))
                    throw SafeTensorsException.ForFile(fullPath,
                        $"cannot write: metadata value for key '{SafeTensorDTypes.Truncate(k, 200)}' is not valid UTF-16.");
            }
        }

        var header = SafeTensorsHeader.Serialize(entries, metadata);
        if (header.LongLength > SafeTensorsHeader.MaxHeaderBytes)
            throw SafeTensorsException.ForFile(fullPath,
                $"cannot write: the header would be {header.LongLength} bytes, more than the maximum of {SafeTensorsHeader.MaxHeaderBytes}. " +
                "Use shorter names, fewer tensors, or less metadata.");

        var tmp = fullPath + ".tmp-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        FileStream? fs = null;
        try
        {
            fs = new FileStream(tmp, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                BufferSize = 1 << 16,
            });
            Span<byte> prefix = stackalloc byte[8];
            SafeTensorsHeader.WriteLengthPrefix(prefix, header.Length);
            fs.Write(prefix);
            fs.Write(header);

            for (var i = 0; i < items.Count; i++)
            {
                var t = items[i];
                if (t.WriteData is null)
                {
                    fs.Write(t.Data.Span);
                    continue;
                }
                var bounded = new BoundedWriteStream(fs, t.ByteLength, fullPath, t.Name);
                try
                {
                    t.WriteData(bounded);
                }
                finally
                {
                    bounded.Close();
                }
                if (bounded.Written != t.ByteLength)
                    throw SafeTensorsException.ForFile(fullPath,
                        $"cannot write: the WriteData callback for tensor '{t.Name}' wrote {bounded.Written} bytes but declared " +
                        $"ByteLength {t.ByteLength}.");
            }

            fs.Flush(flushToDisk: true);
            fs.Dispose();
            fs = null;
            File.Move(tmp, fullPath, overwrite: true);
        }
        catch
        {
            fs?.Dispose();
            try
            {
                File.Delete(tmp);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort; the original exception is more useful.
            }
            throw;
        }
    }

    private static SafeTensorEntry Validate(string path, SafeTensorToWrite t, int index, long offset)
    {
        if (string.IsNullOrEmpty(t.Name))
            throw SafeTensorsException.ForFile(path, $"cannot write: tensor #{index} has an empty name.");
        var shown = SafeTensorDTypes.Truncate(t.Name, 200);
        if (t.Name == SafeTensorsHeader.MetadataKey)
            throw SafeTensorsException.ForFile(path, $"cannot write: '{SafeTensorsHeader.MetadataKey}' is reserved and cannot be a tensor name.");
        if (!IsValidUtf16(t.Name))
            throw SafeTensorsException.ForFile(path, $"cannot write: tensor name '{shown}' is not valid UTF-16 (lone surrogate).");
        if (!Enum.IsDefined(t.DType))
            throw SafeTensorsException.ForFile(path, $"cannot write: tensor '{shown}' has an undefined dtype value {(int)t.DType}.");
        if (t.Shape is null)
            throw SafeTensorsException.ForFile(path, $"cannot write: tensor '{shown}' has a null shape (use an empty array for a scalar).");
        if (t.Shape.Length > SafeTensorsHeader.MaxRank)
            throw SafeTensorsException.ForFile(path,
                $"cannot write: tensor '{shown}' has {t.Shape.Length} dimensions, more than the maximum of {SafeTensorsHeader.MaxRank}.");
        var shape = (long[])t.Shape.Clone();
        foreach (var d in shape)
        {
            if (d < 0)
                throw SafeTensorsException.ForFile(path,
                    $"cannot write: tensor '{shown}' has a negative dimension in shape [{string.Join(", ", shape)}].");
        }
        long expected;
        try
        {
            expected = checked(SafeTensorsHeader.CheckedElementCount(shape) * SafeTensorDTypes.ElementSize(t.DType));
        }
        catch (OverflowException)
        {
            throw SafeTensorsException.ForFile(path,
                $"cannot write: the shape [{string.Join(", ", shape)}] of tensor '{shown}' has an element count that overflows 64 bits.");
        }
        if (t.WriteData is not null && !t.Data.IsEmpty)
            throw SafeTensorsException.ForFile(path,
                $"cannot write: tensor '{shown}' has both Data and a WriteData callback; use one or the other.");
        if (t.ByteLength != expected)
            throw SafeTensorsException.ForFile(path,
                $"cannot write: byte count mismatch for tensor '{shown}': {SafeTensorDTypes.ToName(t.DType)} with shape " +
                $"[{string.Join(", ", shape)}] needs {expected} bytes but {t.ByteLength} were given.");
        long end;
        try
        {
            end = checked(offset + expected);
        }
        catch (OverflowException)
        {
            throw SafeTensorsException.ForFile(path, "cannot write: total data size overflows 64 bits.");
        }
        return new SafeTensorEntry(t.Name, t.DType, shape, offset, end);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool IsValidUtf16(string s)
    {
        try
        {
            StrictUtf8.GetByteCount(s);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The stream handed to <see cref="SafeTensorToWrite.WriteData"/> callbacks: write-only, bounded to the
    /// declared length, never closes the underlying file.</summary>
    private sealed class BoundedWriteStream(Stream inner, long limit, string path, string tensorName) : Stream
    {
        private bool _closed;

        public long Written { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => !_closed;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => Written;
            set => throw new NotSupportedException();
        }

        public override void Flush() { }

        public override Task FlushAsync(CancellationToken cancellationToken) =>
            cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            Write(buffer.AsSpan(offset, count));
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (buffer.Length > limit - Written)
                throw SafeTensorsException.ForFile(path,
                    $"cannot write: the WriteData callback for tensor '{tensorName}' wrote more than its declared ByteLength {limit}.");
            inner.Write(buffer);
            Written += buffer.Length;
        }

        public override void WriteByte(byte value) => Write([value]);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ValidateBufferArguments(buffer, offset, count);
            return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
                return ValueTask.FromCanceled(cancellationToken);
            try
            {
                Write(buffer.Span);
                return ValueTask.CompletedTask;
            }
            catch (Exception e)
            {
                return ValueTask.FromException(e);
            }
        }

        protected override void Dispose(bool disposing)
        {
            _closed = true;
            base.Dispose(disposing);
        }
    }
}
