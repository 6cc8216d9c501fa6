
from setuptools import find_packages, setup

package_name = 'berntsen_screen'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test']),
    include_package_data=True,
    package_data={package_name: ['web/*']},
    data_files=[
        ('share/ament_index/resource_index/packages', [f'resource/{package_name}']),
        (f'share/{package_name}', ['package.xml']),
    ],
    install_requires=['setuptools'],
    # colcon test runs pytest only when the package says it needs it (else unittest: 0 tests)
    extras_require={'test': ['pytest']},
    zip_safe=False,
    maintainer='Berntsen developers',
    maintainer_email='dev@berntsen.invalid',
    description='The patient\'s screen of the Berntsen robot: a web page served by a node.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'screen_node = berntsen_screen.screen_node:main',
        ],
    },
)
