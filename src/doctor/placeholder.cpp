// Placeholder until the doctor module lands.
namespace haul { int doctor_placeholder = 0; }
