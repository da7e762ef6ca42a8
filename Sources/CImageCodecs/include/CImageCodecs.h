// C shims around libpng and libjpeg-turbo: their errors longjmp, which Swift cannot survive,
// so every entry point here catches the jump and returns an error code with a message.
#pragma once
#include <stddef.h>
