namespace SaeWorkbench.Metrics.N2g;

/// <summary>
/// The trie of an N2G explanation (Gao et al. 2024, §4.3, and its code): patterns are inserted reversed, last token
/// first, so that prediction walks backwards from a position. Edges are exact token ids, the one-token wildcard
/// <see cref="AnyToken"/> and, after a pattern's first token, the start-of-sequence anchor <see cref="StartAnchor"/>.
/// A node that ends a pattern stores an activation (aggregated over the examples that gave the pattern by
/// <see cref="N2gLeafValue"/>).
/// </summary>
/// <remarks>
/// Prediction at position i, as in the paper's released code: start at the root and for j = i, i-1, ..., 0 follow the
/// edge of token j if there is one, else the wildcard edge, else predict 0 (an exact token beats the wildcard, without
/// backtracking). The first node with a value gives the prediction. If j = 0 is reached without a value, the node's
/// anchor edge gives it (the pattern started at the first token), else 0.
/// </remarks>
public sealed class N2gTrie
{
    /// <summary>The one-token wildcard in patterns ("[*]"): a position whose saliency was below the threshold.</summary>
    public const int AnyToken = -1;

    /// <summary>The start-of-sequence anchor edge ("^").</summary>
    public const int StartAnchor = -2;

    private sealed class Node
    {
        public Dictionary<int, int>? Children;
        public int Any = -1;
        public int Start = -1;
        public int Count;
        public double Sum;
        public float Max;
        public float Last;
        public float Value;
    }

    private readonly List<Node> _nodes = [new Node()];

    public N2gTrie(N2gLeafValue leafValue = N2gLeafValue.Mean) => LeafValue = leafValue;

    /// <summary>How a leaf aggregates the activations of the examples that share its pattern.</summary>
    public N2gLeafValue LeafValue { get; }

    /// <summary>Nodes, the root included.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Patterns inserted (with repeats).</summary>
    public int PatternsInserted { get; private set; }

    /// <summary>
    /// Inserts one pattern: <paramref name="pattern"/> in reading order (token ids &gt;= 0 or <see cref="AnyToken"/>),
    /// ending at the token where the latent fired, with the start anchor when <paramref name="startAnchored"/>;
    /// <paramref name="activation"/> (&gt; 0) joins the leaf's value.
    /// </summary>
    public void Insert(ReadOnlySpan<int> pattern, bool startAnchored, float activation)
    {
        if (pattern.IsEmpty) throw new ArgumentException("a pattern has at least one position", nameof(pattern));
        if (!(activation > 0) || !float.IsFinite(activation))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "a pattern's activation must be > 0 and finite");
        var node = 0;
        for (var i = pattern.Length - 1; i >= 0; i--)
        {
            var tok = pattern[i];
            if (tok < 0 && tok != AnyToken) throw new ArgumentOutOfRangeException(nameof(pattern), tok, "pattern tokens are ids >= 0 or AnyToken (-1)");
            node = Child(node, tok, create: true);
        }
        if (startAnchored) node = Child(node, StartAnchor, create: true);
        var n = _nodes[node];
        n.Count++;
        n.Sum += activation;
        n.Max = n.Count == 1 ? activation : Math.Max(n.Max, activation);
        n.Last = activation;
        n.Value = LeafValue switch
        {
            N2gLeafValue.Mean => (float)(n.Sum / n.Count),
            N2gLeafValue.Max => n.Max,
            _ => n.Last,
        };
        PatternsInserted++;
    }

    private int Child(int node, int edge, bool create)
    {
        var n = _nodes[node];
        if (edge == AnyToken)
        {
            if (n.Any < 0 && create) { n.Any = _nodes.Count; _nodes.Add(new Node()); }
            return n.Any;
        }
        if (edge == StartAnchor)
        {
            if (n.Start < 0 && create) { n.Start = _nodes.Count; _nodes.Add(new Node()); }
            return n.Start;
        }
        if (n.Children is not null && n.Children.TryGetValue(edge, out var c)) return c;
        if (!create) return -1;
        n.Children ??= new Dictionary<int, int>();
        c = _nodes.Count;
        _nodes.Add(new Node());
        n.Children[edge] = c;
        return c;
    }

    /// <summary>The simulated activation at position <paramref name="i"/> of a sequence (tokens 0..i are read).</summary>
    public float PredictAt(ReadOnlySpan<int> sequence, int i)
    {
        var node = _nodes[0];
        for (var j = i; j >= 0; j--)
        {
            if (node.Children is null || !node.Children.TryGetValue(sequence[j], out var next)) next = node.Any;
            if (next < 0) return 0;
            node = _nodes[next];
            if (node.Count > 0) return node.Value;
            if (j == 0) return node.Start >= 0 ? _nodes[node.Start].Value : 0;
        }
        return 0;
    }

    /// <summary>The simulated activation at every position of <paramref name="sequence"/> into <paramref name="predicted"/>.</summary>
    public void Predict(ReadOnlySpan<int> sequence, Span<float> predicted)
    {
        if (predicted.Length != sequence.Length) throw new ArgumentException("one prediction per token", nameof(predicted));
        for (var i = 0; i < sequence.Length; i++) predicted[i] = PredictAt(sequence, i);
    }

    /// <summary>Whether the root has a wildcard edge (then a pattern can match at any token, not only at its own last tokens).</summary>
    public bool RootHasWildcard => _nodes[0].Any >= 0;

    /// <summary>The token ids on the root's exact edges: the only tokens where a pattern can end when
    /// <see cref="RootHasWildcard"/> is false.</summary>
    public IReadOnlyCollection<int> RootTokens => (IReadOnlyCollection<int>?)_nodes[0].Children?.Keys ?? Array.Empty<int>();

    /// <summary>
    /// Every stored pattern: reading order (with <see cref="AnyToken"/>), anchor, value and the number of examples that gave it.
    /// </summary>
    public IEnumerable<(int[] Pattern, bool StartAnchored, float Value, int Examples)> Leaves()
    {
        var path = new List<int>();
        var result = new List<(int[], bool, float, int)>();
        void Walk(int id)
        {
            var n = _nodes[id];
            if (n.Count > 0)
            {
                var anchored = path.Count > 0 && path[^1] == StartAnchor;
                var tokens = (anchored ? path.Take(path.Count - 1) : path).Reverse().ToArray();
                result.Add((tokens, anchored, n.Value, n.Count));
            }
            if (n.Children is not null)
                foreach (var (tok, child) in n.Children.OrderBy(kv => kv.Key)) { path.Add(tok); Walk(child); path.RemoveAt(path.Count - 1); }
            if (n.Any >= 0) { path.Add(AnyToken); Walk(n.Any); path.RemoveAt(path.Count - 1); }
            if (n.Start >= 0) { path.Add(StartAnchor); Walk(n.Start); path.RemoveAt(path.Count - 1); }
        }
        Walk(0);
        return result;
    }
}
