#pragma once

/* Cleanup helpers for the OpenSSL types src/tpm uses. */

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "confnode/basic/cleanup.h"
#include "confnode/basic/openssl-cleanup.h"

