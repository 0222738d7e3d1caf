//===- ITQ3ModelOps.td - model-level ops of the itq3 dialect -*- tablegen -*-===//
//
// The parts of a Llama-family forward pass around the matrix products, in
// buffer form (what the model graph builder emits): the embedding lookup
// from a packed table, RMSNorm, rotary embeddings, causal grouped-query
// attention over a KV cache, and the element-wise steps. Each names its
// meaning so that every target lowers it its own way;
// --convert-itq3-model-to-scf gives the loops of the CPU mapping.
//
//===----------------------------------------------------------------------===//
#ifndef ITQ3_MODEL_OPS_TD
#define ITQ3_MODEL_OPS_TD

def ITQ3_ActivationMemRef : MemRefRankOf<[F32], [2]>;

def ITQ3_EmbedIntoOp : ITQ3_Op<"embed_into"> {
  let summary = "Gathers decoded rows of a packed table: x[m, :] = T[tokens[m], :]";
  let description = [{
    The token embedding lookup. `table` holds the stored bytes of a packed
    [V, D] matrix of an unrotated format (a rotated row would need its
    inverse FWHT); row `m` of `result` [M, D] becomes the decoded row
    `tokens[m]`. The caller guarantees 0 <= tokens[m] < V (the runtime checks
    token ids before the call).

    ```mlir
    itq3.embed_into %table[%tokens] into %x format<q8>
      : memref<512x68xi8>, memref<?xi32>, memref<?x64xf32>
    ```
  }];
  let arguments = (ins
    Arg<MemRefRankOf<[I8], [2]>, "packed table [V, rowBytes]", [MemRead]>:$table,
    Arg<MemRefRankOf<[I32], [1]>, "token ids [M]", [MemRead]>:$tokens,
    Arg<ITQ3_ActivationMemRef, "result [M, D]", [MemWrite]>:$result,
    ITQ3_FormatAttr:$format);
  let assemblyFormat = [{
    $table `[` $tokens `]` `into` $result `format` `` $format attr-dict
    `:` type($table) `,` type($tokens) `,` type($result)
  }];
  let hasVerifier = 1;
}

def ITQ3_RMSNormIntoOp : ITQ3_Op<"rms_norm_into"> {
  let summary = "result[m, :] = weight * x[m, :] / sqrt(mean(x[m, :]^2) + eps)";
  let description = [{
    Root-mean-square normalization of each row of `input` [M, D] with the
    learned per-column `weight` [D]; the sum of squares accumulates in f64.
    `result` may be `input` itself.

    ```mlir
    itq3.rms_norm_into %x, %w into %xb eps(1.0e-05)
      : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>
    ```
  }];
  let arguments = (ins
    Arg<ITQ3_ActivationMemRef, "rows [M, D]", [MemRead]>:$input,
    Arg<MemRefRankOf<[F32], [1]>, "weight [D]", [MemRead]>:$weight,
    Arg<ITQ3_ActivationMemRef, "result [M, D]", [MemWrite]>:$result,
    F32Attr:$eps);
  let assemblyFormat = [{
    $input `,` $weight `into` $result `eps` `(` $eps `)` attr-dict
    `:` type($input) `,` type($weight) `,` type($result)
  }];
  let hasVerifier = 1;
}

def ITQ3_RopeOp : ITQ3_Op<"rope"> {
  let summary = "Rotary position embedding in place, row m at position pos + m";
  let description = [{
    Every head of `head_dim` columns of row `m` of `x` [M, heads * head_dim]
    is turned by the angles `(pos + m) * base^(-2i / head_dim)` of its pairs
    i < head_dim / 2: adjacent pairs (2i, 2i + 1) as in Meta's Llama, or
    with `halves` the pairs (i, i + head_dim / 2) as in HF checkpoints.
    Angles are computed in f64.

    ```mlir
    itq3.rope %q at %pos head_dim(8) base(1.0e+04) : memref<?x64xf32>
    ```
  }];
  let arguments = (ins
    Arg<ITQ3_ActivationMemRef, "rows [M, heads * head_dim]",
        [MemRead, MemWrite]>:$x,
    Index:$pos,
    ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
    F32Attr:$base,
    UnitAttr:$halves);
  let assemblyFormat = [{
    $x `at` $pos `head_dim` `(` $head_dim `)` `base` `(` $base `)`
    (`halves` $halves^)? attr-dict `:` type($x)
  }];
  let hasVerifier = 1;
}

def ITQ3_AttentionIntoOp : ITQ3_Op<"attention_into"> {
  let summary = "Causal grouped-query attention of M new tokens over a KV cache";
  let description = [{
    Appends the new keys and values (`keys`, `values` [M, kv_heads *
    head_dim], RoPE already applied to the keys) to the layer's caches
    [C, kv_heads * head_dim] at positions pos .. pos + M - 1, then for every
    new token m and query head h computes
    `softmax(q[m, h] . K[p, g]^T / sqrt(head_dim)) . V[p, g]` over the
    positions p <= pos + m, where g = h / (heads / kv_heads) is the head's
    key/value group. The caller guarantees pos + M <= C (the runtime refuses
    a context overflow before the call).

    ```mlir
    itq3.attention_into %q, %k, %v, %kc, %vc at %pos into %out
        heads(8) kv_heads(4) head_dim(8)
      : memref<?x64xf32>, memref<?x32xf32>, memref<?x32xf32>,
        memref<512x32xf32>, memref<512x32xf32>, memref<?x64xf32>
    ```
  }];
  let arguments = (ins
    Arg<ITQ3_ActivationMemRef, "queries [M, heads * head_dim]",
        [MemRead]>:$queries,
    Arg<ITQ3_ActivationMemRef, "new keys [M, kv]", [MemRead]>:$keys,
    Arg<ITQ3_ActivationMemRef, "new values [M, kv]", [MemRead]>:$values,
    Arg<ITQ3_ActivationMemRef, "key cache [C, kv]",
        [MemRead, MemWrite]>:$key_cache,
    Arg<ITQ3_ActivationMemRef, "value cache [C, kv]",
        [MemRead, MemWrite]>:$value_cache,
    Index:$pos,
    Arg<ITQ3_ActivationMemRef, "result [M, heads * head_dim]",
        [MemWrite]>:$result,
    ConfinedAttr<I64Attr, [IntPositive]>:$heads,
    ConfinedAttr<I64Attr, [IntPositive]>:$kv_heads,
    ConfinedAttr<I64Attr, [IntPositive]>:$head_dim);
  let assemblyFormat = [{
    $queries `,` $keys `,` $values `,` $key_cache `,` $value_cache `at` $pos
    `into` $result `heads` `(` $heads `)` `kv_heads` `(` $kv_heads `)`
    `head_dim` `(` $head_dim `)` attr-dict
    `:` type($queries) `,` type($keys) `,` type($values) `,`
    type($key_cache) `,` type($value_cache) `,` type($result)
  }];
  let hasVerifier = 1;
}

def ITQ3_AddIntoOp : ITQ3_Op<"add_into"> {
  let summary = "result = lhs + rhs, rhs [N] broadcast over rows or [M, N]";
  let description = [{
    The residual add (rhs [M, N]) and the bias add (rhs [N], added to every
    row). `result` may be `lhs` itself.

    ```mlir
    itq3.add_into %x, %h into %x : memref<?x64xf32>, memref<?x64xf32>, memref<?x64xf32>
    itq3.add_into %q, %bias into %q : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>
    ```
  }];
  let arguments = (ins
    Arg<ITQ3_ActivationMemRef, "", [MemRead]>:$lhs,
    Arg<MemRefRankOf<[F32], [1, 2]>, "", [MemRead]>:$rhs,
    Arg<ITQ3_ActivationMemRef, "", [MemWrite]>:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `into` $result attr-dict
    `:` type($lhs) `,` type($rhs) `,` type($result)
  }];
  let hasVerifier = 1;
}

def ITQ3_SwiGLUIntoOp : ITQ3_Op<"swiglu_into"> {
  let summary = "result = silu(gate) * up, silu(g) = g / (1 + exp(-g))";
  let description = [{
    The gate of the SwiGLU feed-forward block. `result` may be `gate`.

    ```mlir
    itq3.swiglu_into %g, %u into %g : memref<?x172xf32>, memref<?x172xf32>, memref<?x172xf32>
    ```
  }];
  let arguments = (ins
    Arg<ITQ3_ActivationMemRef, "", [MemRead]>:$gate,
    Arg<ITQ3_ActivationMemRef, "", [MemRead]>:$up,
    Arg<ITQ3_ActivationMemRef, "", [MemWrite]>:$result);
  let assemblyFormat = [{
    $gate `,` $up `into` $result attr-dict
    `:` type($gate) `,` type($up) `,` type($result)
  }];
  let hasVerifier = 1;
}

#endif // ITQ3_MODEL_OPS_TD
