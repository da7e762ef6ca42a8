// nifti_clib (Debian: libnifti2-dev) for the geometry of NIfTI volumes: the qform's matrix
// and the closest orientation of an affine, the library's own rules. Swift sees plain arrays.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// The 4x4 affine (row major) of a qform: quaternion b, c, d, offsets x, y, z, voxel sizes
/// dx, dy, dz and qfac (nifti_quatern_to_mat44).
void zoo_nifti_quatern_to_affine(const float quaternion[6], const float voxel[3], float qfac, float affine[16]);

/// For each voxel axis i, j, k, the world direction it points closest to, as nifti_clib's
/// codes: 1 L->R, 2 R->L, 3 P->A, 4 A->P, 5 I->S, 6 S->I (nifti_mat44_to_orientation).
void zoo_nifti_orientation(const float affine[16], int codes[3]);

#ifdef __cplusplus
}
#endif
