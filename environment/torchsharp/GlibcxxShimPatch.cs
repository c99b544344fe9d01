// Makes TorchSharp's native shim (libLibTorchSharp.so) load on a system whose libstdc++ is older than
// the one it was linked against: Debian 12 ships GCC 12's libstdc++ (newest version GLIBCXX_3.4.30),
// while TorchSharp 0.107's shim was built with GCC 13 and asks for GLIBCXX_3.4.32.
//
// The one symbol the shim takes from GLIBCXX_3.4.32 is std::ios_base_library_init(), which GCC 13 calls
// from the static initialiser of every file that includes <iostream> (it replaced the per-file
// ios_base::Init objects). On an older libstdc++ the iostreams are initialised by those ios_base::Init
// objects, which libtorch (built with an older GCC) already carries, so the call has nothing to do.
// The patch, on a copy in the build's own output (never in the NuGet cache):
//   1. the GLIBCXX_3.4.32 entry of .gnu.version_r is renamed to the newest GLIBCXX version that the
//      file also needs and the system has (its name offset and its ELF hash);
//   2. the version of ios_base_library_init's symbol is cleared (global, unversioned);
//   3. its name becomes "getpid", written over the bytes of the string "GLIBCXX_3.4.32" that no entry
//      uses any more: libc's getpid() takes no arguments and has no effect, so each call becomes a no-op
//      without a second shared library to ship (the call's result register is caller-saved).
// Every other reference to a missing version aborts the patch with a message naming the symbol.
//
// This file is compiled twice: by MSBuild as an inline task (environment/torchsharp/TorchSharp.targets),
// and into SaeWorkbench.dll with SAEWB_GLIBCXX_PATCH_NO_TASK defined (no task class), where
// SaeWorkbench.Engine.TorchSharpRuntime uses it to explain a shim that was not adapted.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SaeWorkbench.Engine;

#if !SAEWB_GLIBCXX_PATCH_NO_TASK
/// <summary>MSBuild task: patch the shim in <c>Files</c> when the system's libstdc++ lacks what it needs.</summary>
public sealed class PatchTorchSharpShim : Microsoft.Build.Utilities.Task
{
    /// <summary>The shim copies in the build's output (missing ones are skipped).</summary>
    [Microsoft.Build.Framework.Required]
    public string[] Files { get; set; } = Array.Empty<string>();

    public override bool Execute()
    {
        var libstdcxx = GlibcxxShimPatch.FindSystemLibstdcxx();
        if (libstdcxx is null)
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "SaeWorkbench: no system libstdc++.so.6 found; TorchSharp's shim is left as it is.");
            return true;
        }
        var have = GlibcxxShimPatch.VersionsDefinedBy(File.ReadAllBytes(libstdcxx));
        foreach (var file in Files.Where(File.Exists).Distinct())
        {
            try
            {
                var result = GlibcxxShimPatch.PatchFile(file, have);
                var importance = result.StartsWith("patched", StringComparison.Ordinal)
                    ? Microsoft.Build.Framework.MessageImportance.High
                    : Microsoft.Build.Framework.MessageImportance.Low;
                Log.LogMessage(importance, $"SaeWorkbench: {file}: {result}");
            }
            catch (Exception e)
            {
                Log.LogError($"SaeWorkbench: cannot adapt TorchSharp's native shim {file} to {libstdcxx}: {e.Message} " +
                             "Install a libstdc++ from GCC 13 or newer (Ubuntu 24.04, Debian 13) to use TorchSharp unmodified.");
                return false;
            }
        }
        return true;
    }
}
#endif

namespace SaeWorkbench.Engine
{
/// <summary>Reads and patches the version needs of an ELF64 little-endian shared library (see the file comment).</summary>
public static class GlibcxxShimPatch
{
    /// <summary>The symbol that GCC 13's libstdc++ added at GLIBCXX_3.4.32 and the shim calls.</summary>
    public const string IosBaseLibraryInit = "_ZSt21ios_base_library_initv";
    /// <summary>What its calls become.</summary>
    public const string Replacement = "getpid";

    /// <summary>The system's libstdc++.so.6, or null: the usual multiarch and lib64 places.</summary>
    public static string? FindSystemLibstdcxx()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>The version names (GLIBCXX_3.4.30, CXXABI_1.3.13, ...) that a library defines (.gnu.version_d).</summary>
    public static HashSet<string> VersionsDefinedBy(byte[] elf)
    {
        var f = new Elf(elf);
        var result = new HashSet<string>(StringComparer.Ordinal);
        var verdef = f.Section(0x6ffffffd);
        if (verdef is null) return result;
        var strtab = f.Sections[(int)verdef.Link];
        long off = verdef.Offset;
        for (var i = 0; i < (int)verdef.Info; i++)
        {
            // Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32.
            var aux = off + f.U32(off + 12);
            result.Add(f.Str(strtab.Offset, f.U32(aux)));   // Verdaux: vda_name u32, vda_next u32
            var next = f.U32(off + 16);
            if (next == 0) break;
            off += next;
        }
        return result;
    }

    /// <summary>The GLIBCXX versions that a library needs from libstdc++.so.6 and <paramref name="have"/> lacks.</summary>
    public static IReadOnlyList<string> MissingVersions(byte[] elf, ISet<string> have) =>
        new Elf(elf).LibstdcxxNeeds().Where(n => !have.Contains(n.Name)).Select(n => n.Name).ToList();

    /// <summary>
    /// Patches <paramref name="path"/> in place (through a temporary file and a rename) if it needs a libstdc++ version that
    /// <paramref name="have"/> lacks. Returns what it did, "patched ..." or "nothing to do ...". Throws when the file needs
    /// anything else from a missing version, naming it.
    /// </summary>
    public static string PatchFile(string path, ISet<string> have)
    {
        var bytes = File.ReadAllBytes(path);
        var result = Patch(bytes, have);
        if (!result.StartsWith("patched", StringComparison.Ordinal)) return result;
        var tmp = path + ".patch-tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Replace(tmp, path, null);   // a rename: the file is never half-written
        return result;
    }

    /// <summary>The patch on bytes in memory; see <see cref="PatchFile"/>.</summary>
    public static string Patch(byte[] bytes, ISet<string> have)
    {
        var f = new Elf(bytes);
        var needs = f.LibstdcxxNeeds();
        var missing = needs.Where(n => !have.Contains(n.Name)).ToList();
        if (missing.Count == 0) return "nothing to do (the system's libstdc++ has every version it needs)";
        if (missing.Count > 1 || missing[0].Name != "GLIBCXX_3.4.32")
            throw new InvalidOperationException($"it needs {string.Join(", ", missing.Select(m => m.Name))}, and only GLIBCXX_3.4.32 can be adapted.");
        var need = missing[0];

        // The newest GLIBCXX version the file needs anyway and the system has: its name and hash replace 3.4.32's.
        var donor = needs.Where(n => have.Contains(n.Name) && n.Name.StartsWith("GLIBCXX_", StringComparison.Ordinal))
                         .OrderByDescending(n => VersionKey(n.Name)).FirstOrDefault()
                    ?? throw new InvalidOperationException("it needs no other GLIBCXX version to stand in for GLIBCXX_3.4.32.");

        // Which symbols use the missing version: only ios_base_library_init may.
        var dynsym = f.Section(11) ?? throw new InvalidOperationException("it has no .dynsym section.");
        var versym = f.Section(0x6fffffff) ?? throw new InvalidOperationException("it has no .gnu.version section.");
        var dynstr = f.Sections[(int)dynsym.Link];
        var count = dynsym.Size / 24;
        var users = new List<long>();
        for (long i = 0; i < count; i++)
        {
            if ((f.U16(versym.Offset + 2 * i) & 0x7fff) != need.Index) continue;
            var name = f.Str(dynstr.Offset, f.U32(dynsym.Offset + 24 * i));
            if (name != IosBaseLibraryInit)
                throw new InvalidOperationException($"its symbol {name} needs GLIBCXX_3.4.32, which only GCC 13's libstdc++ provides.");
            if (f.U16(dynsym.Offset + 24 * i + 6) != 0)
                throw new InvalidOperationException($"it defines {name} itself; nothing to adapt.");
            users.Add(i);
        }

        // The string "GLIBCXX_3.4.32" becomes free once its entry is renamed; make sure nothing else points into it.
        var freedStart = need.NameOffset;
        var freedEnd = freedStart + need.Name.Length + 1;
        if (Encoding.ASCII.GetByteCount(Replacement) + 1 > freedEnd - freedStart)
            throw new InvalidOperationException("no room for the replacement name.");
        foreach (var reference in f.DynstrReferences(dynsym))
            if (reference.Offset >= freedStart && reference.Offset < freedEnd && reference.What != need.What)
                throw new InvalidOperationException($"the string GLIBCXX_3.4.32 is shared with {reference.What}.");

        f.W32(need.EntryOffset + 0, donor.Hash);          // vna_hash
        f.W32(need.EntryOffset + 8, donor.NameOffset);     // vna_name
        var replacement = Encoding.ASCII.GetBytes(Replacement + "\0");
        Array.Clear(bytes, (int)(dynstr.Offset + freedStart), (int)(freedEnd - freedStart));
        replacement.CopyTo(bytes, (int)(dynstr.Offset + freedStart));
        foreach (var i in users)
        {
            f.W16(versym.Offset + 2 * i, 1);         // VER_NDX_GLOBAL: unversioned
            f.W32(dynsym.Offset + 24 * i, freedStart); // st_name -> "getpid"
        }
        return $"patched: GLIBCXX_3.4.32 need renamed to {donor.Name}; {users.Count} reference(s) to {IosBaseLibraryInit} now call {Replacement}()";
    }

    private static (int, int, int) VersionKey(string name)
    {
        var parts = name.Substring(name.IndexOf('_') + 1).Split('.').Select(p => int.TryParse(p, out var v) ? v : 0).ToArray();
        return (parts.ElementAtOrDefault(0), parts.ElementAtOrDefault(1), parts.ElementAtOrDefault(2));
    }

    /// <summary>One Vernaux entry: where it sits, its version index (vna_other), hash, name and name offset in .dynstr.</summary>
    public sealed class VersionNeed
    {
        public VersionNeed(long entryOffset, int index, uint hash, uint nameOffset, string name)
        {
            EntryOffset = entryOffset; Index = index; Hash = hash; NameOffset = nameOffset; Name = name;
        }
        public long EntryOffset { get; }
        public int Index { get; }
        public uint Hash { get; }
        public uint NameOffset { get; }
        public string Name { get; }
        public string What => $"the version need {Name}";
    }

    private sealed class StringReference
    {
        public StringReference(uint offset, string what) { Offset = offset; What = what; }
        public uint Offset { get; }
        public string What { get; }
    }

    private sealed class SectionHeader
    {
        public SectionHeader(uint type, long offset, long size, uint link, uint info) { Type = type; Offset = offset; Size = size; Link = link; Info = info; }
        public uint Type { get; }
        public long Offset { get; }
        public long Size { get; }
        public uint Link { get; }
        public uint Info { get; }
    }

    /// <summary>A minimal ELF64 little-endian reader over the file's bytes (section headers only).</summary>
    private sealed class Elf
    {
        private readonly byte[] _b;
        public readonly List<SectionHeader> Sections = new();

        public Elf(byte[] bytes)
        {
            _b = bytes;
            if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
                throw new InvalidOperationException("it is not an ELF file.");
            if (bytes[4] != 2 || bytes[5] != 1) throw new InvalidOperationException("it is not a 64-bit little-endian ELF file.");
            long shoff = (long)U64(0x28);
            int shentsize = U16(0x3A), shnum = U16(0x3C);
            if (shoff <= 0 || shentsize != 64 || shoff + (long)shnum * 64 > bytes.Length)
                throw new InvalidOperationException("its section header table is missing or out of bounds.");
            for (var i = 0; i < shnum; i++)
            {
                var h = shoff + 64L * i;
                var s = new SectionHeader(U32(h + 4), (long)U64(h + 24), (long)U64(h + 32), U32(h + 40), U32(h + 44));
                if (s.Type != 8 && (s.Offset < 0 || s.Offset + s.Size > bytes.Length))
                    throw new InvalidOperationException($"section {i} lies outside the file.");
                Sections.Add(s);
            }
        }

        public SectionHeader? Section(uint type)
        {
            foreach (var s in Sections) if (s.Type == type) return s;
            return null;
        }

        public ushort U16(long o) => BitConverter.ToUInt16(_b, (int)o);
        public uint U32(long o) => BitConverter.ToUInt32(_b, (int)o);
        public ulong U64(long o) => BitConverter.ToUInt64(_b, (int)o);
        public void W16(long o, ushort v) => BitConverter.GetBytes(v).CopyTo(_b, (int)o);
        public void W32(long o, uint v) => BitConverter.GetBytes(v).CopyTo(_b, (int)o);

        public string Str(long tableOffset, uint offset)
        {
            var start = tableOffset + offset;
            var end = start;
            while (end < _b.Length && _b[end] != 0) end++;
            return Encoding.ASCII.GetString(_b, (int)start, (int)(end - start));
        }

        /// <summary>The Vernaux entries of the Verneed for libstdc++.so.6.</summary>
        public List<VersionNeed> LibstdcxxNeeds() =>
            AllVersionNeeds().Where(n => n.file == "libstdc++.so.6").Select(n => n.need).ToList();

        /// <summary>Every Vernaux entry with the file it is needed from, and the offset of that file name in .dynstr.</summary>
        private List<(string file, uint fileNameOffset, VersionNeed need)> AllVersionNeeds()
        {
            var result = new List<(string, uint, VersionNeed)>();
            var verneed = Section(0x6ffffffe);
            if (verneed is null) return result;
            var strtab = Sections[(int)verneed.Link].Offset;
            long off = verneed.Offset;
            for (var i = 0; i < (int)verneed.Info; i++)
            {
                // Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
                int cnt = U16(off + 2);
                var fileOffset = U32(off + 4);
                var file = Str(strtab, fileOffset);
                long aux = off + U32(off + 8);
                for (var j = 0; j < cnt; j++)
                {
                    // Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                    result.Add((file, fileOffset, new VersionNeed(aux, U16(aux + 6), U32(aux), U32(aux + 8), Str(strtab, U32(aux + 8)))));
                    var nextAux = U32(aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                var next = U32(off + 12);
                if (next == 0) break;
                off += next;
            }
            return result;
        }

        /// <summary>Every offset into .dynstr that the symbol table, the version needs and the dynamic section hold.</summary>
        public List<StringReference> DynstrReferences(SectionHeader dynsym)
        {
            var refs = new List<StringReference>();
            for (long i = 0; i < dynsym.Size / 24; i++) refs.Add(new StringReference(U32(dynsym.Offset + 24 * i), $"symbol {i}"));
            foreach (var (_, fileOffset, need) in AllVersionNeeds())
            {
                refs.Add(new StringReference(fileOffset, "a version-need file name"));
                refs.Add(new StringReference(need.NameOffset, need.What));
            }
            var dynamic = Section(6);
            if (dynamic is not null)
                for (long o = dynamic.Offset; o + 16 <= dynamic.Offset + dynamic.Size; o += 16)
                {
                    var tag = (long)U64(o);
                    if (tag == 0) break;
                    // DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH hold string offsets.
                    if (tag is 1 or 14 or 15 or 29) refs.Add(new StringReference((uint)U64(o + 8), $"dynamic tag {tag}"));
                }
            return refs;
        }
    }
}
}
