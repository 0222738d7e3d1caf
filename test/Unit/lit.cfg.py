# -*- Python -*-
# Runs every GoogleTest binary named *Tests under build/test/Unit, one lit
# test per GoogleTest case.
import os

import lit.formats

config.name = "itq3-unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.itq3_obj_root, "test", "Unit")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
config.environment["ITQ3_SHARED_DIR"] = config.itq3_shared_dir
