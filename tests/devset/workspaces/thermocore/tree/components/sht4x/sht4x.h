int sht4x_read(float *t, float *rh);
