/* The confnode LUKS2 token's JSON, as read back from a disk header (an
 * attacker with the disk can write any JSON libcryptsetup accepts). */

#include <stddef.h>
#include <stdint.h>

#include "disk-token-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DiskToken t;

        (void) disk_token_parse((const char *) data, size, &t);
        return 0;
}
