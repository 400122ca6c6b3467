#include "sht4x.h"

void app_main(void) {}
