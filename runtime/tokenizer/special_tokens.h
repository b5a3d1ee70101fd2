// Which ids are bos and eos for a checkpoint, from its configuration files.
//
// Sources, in order of precedence:
//   bos: tokenizer_config.json "bos_token" (a string, {"content": ...}, or null for "none"), else
//        config.json "bos_token_id", else generation_config.json "bos_token_id" (an int or a list:
//        its first id), else the tokenizer's own (SentencePiece), else the first well-known token
//        present: <|begin_of_text|>, <s>, <|startoftext|>.
//   eos: every id named by tokenizer_config.json "eos_token", config.json "eos_token_id" and
//        generation_config.json "eos_token_id" (int or list), in that order, without repeats; when
//        none names any, the tokenizer's own, else every well-known token present: <|eot_id|>,
//        <|end_of_text|>, <|im_end|>, <|endoftext|>, </s>.
//   add_bos_token: tokenizer_config.json "add_bos_token" when it is a boolean.
// A token or id that the tokenizer does not know is an InputError naming the file, the key and the
// token. Missing files are skipped; a malformed one is an InputError naming it.
#pragma once

#include <filesystem>

#include "runtime/tokenizer/tokenizer.h"

namespace aimicius::runtime {

SpecialTokenIds resolve_special_tokens(const Tokenizer& tokenizer,
                                       const std::filesystem::path& checkpoint_dir);

}  // namespace aimicius::runtime
